// gorender is the differential oracle for sealbridge's template engine: it renders
// templates with Go's text/template and the same function maps ESO (runtime/template/v2)
// and Sealed Secrets (pkg/apis/sealedsecrets/v1alpha1) install.
//
// Protocol: a JSON array of cases on stdin, a JSON array of results on stdout.
package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"text/template"

	sprig "github.com/Masterminds/sprig/v3"
)

type renderCase struct {
	ID       string `json:"id"`
	Profile  string `json:"profile"` // "eso" | "sealed-secrets"
	Name     string `json:"name"`
	Template string `json:"template"`
	Data     any    `json:"data"`
	// StringData: pass data as map[string]string like both controllers do.
	StringData bool `json:"stringData"`
	// DeterministicRand: PKCS#12 encoders read the fixed stream of counterStream instead of crypto/rand.
	DeterministicRand bool `json:"deterministicRand"`
}

type renderResult struct {
	ID     string `json:"id"`
	Output string `json:"output,omitempty"` // base64 of the rendered bytes
	Phase  string `json:"phase,omitempty"`  // "parse" | "exec" when it failed
	Error  string `json:"error,omitempty"`
}

// counterStream yields byte i = i mod 251, the stream the TypeScript side replays.
type counterStream struct{ n int }

func (c *counterStream) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c.n % 251)
		c.n++
	}
	return len(p), nil
}

func funcMap(profile string, rnd io.Reader) template.FuncMap {
	m := template.FuncMap{}
	if profile == "eso" {
		for k, v := range esoFuncs(rnd) {
			m[k] = v
		}
	}
	for k, v := range sprig.TxtFuncMap() {
		m[k] = v
	}
	delete(m, "env")
	delete(m, "expandenv")
	delete(m, "getHostByName")
	if profile == "eso" {
		// ESO's sprig copy has the three-argument htpasswd and hexdec; Sealed Secrets pins v3.3.0.
		m["htpasswd"] = htpasswd3
		m["hexdec"] = hexdec
	}
	return m
}

func render(c renderCase) (res renderResult) {
	res.ID = c.ID
	defer func() {
		if r := recover(); r != nil {
			res.Phase = "exec"
			res.Error = fmt.Sprintf("panic: %v", r)
		}
	}()
	name := c.Name
	if name == "" {
		name = "tpl"
	}
	var rnd io.Reader = rand.Reader
	if c.DeterministicRand {
		rnd = &counterStream{}
	}
	t := template.New(name).Funcs(funcMap(c.Profile, rnd))
	if c.Profile == "eso" {
		t = t.Option("missingkey=error")
	}
	t, err := t.Parse(c.Template)
	if err != nil {
		res.Phase, res.Error = "parse", err.Error()
		return res
	}
	var data any = c.Data
	if c.StringData {
		sd := map[string]string{}
		if m, ok := c.Data.(map[string]any); ok {
			for k, v := range m {
				s, _ := v.(string)
				sd[k] = s
			}
		}
		data = sd
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		res.Phase, res.Error = "exec", err.Error()
		res.Output = base64.StdEncoding.EncodeToString(buf.Bytes())
		return res
	}
	res.Output = base64.StdEncoding.EncodeToString(buf.Bytes())
	return res
}

func main() {
	var cases []renderCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "gorender: bad input:", err)
		os.Exit(2)
	}
	out := make([]renderResult, 0, len(cases))
	for _, c := range cases {
		out = append(out, render(c))
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "gorender:", err)
		os.Exit(1)
	}
}
