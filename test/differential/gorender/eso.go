package main

// ESO's extra template functions (runtime/template/v2 of ESO v2.9.0: pem.go, pem_chain.go,
// pkcs12.go, jwk.go, decrypt.go, yaml.go) and the two places where its sprig copy
// (runtime/template/v2/sprig) departs from Masterminds/sprig v3.3.0, re-created with the
// same libraries at the versions that release's runtime/go.mod pins (see go.mod). ESO's
// runtime module is not served by the Go module proxy (nor is any v2 release of the main
// module: its path has no /v2), so it cannot be imported.

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"golang.org/x/crypto/bcrypt"
	"sigs.k8s.io/yaml"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"
)

// esoFuncs is ESO's tplFuncs; rnd feeds the PKCS#12 encoders (crypto/rand unless a case
// asks for the deterministic stream, so the TypeScript encoder can be compared byte for byte).
func esoFuncs(rnd io.Reader) map[string]any {
	modern := gopkcs12.Modern.WithRand(rnd)
	certsKeyToPkcs12 := func(cert *x509.Certificate, key string, cas []*x509.Certificate, pass string) (string, error) {
		kp, _ := pem.Decode([]byte(key))
		k, err := parsePrivateKey(kp.Bytes)
		if err != nil {
			return "", err
		}
		pfx, err := modern.Encode(k, cert, cas, pass)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(pfx), nil
	}
	pemToPkcs12Pass := func(cert, key, pass string) (string, error) {
		p, _ := pem.Decode([]byte(cert))
		c, err := x509.ParseCertificate(p.Bytes)
		if err != nil {
			return "", err
		}
		return certsKeyToPkcs12(c, key, nil, pass)
	}
	fullPemToPkcs12Pass := func(cert, key, pass string) (string, error) {
		p, rest := pem.Decode([]byte(cert))
		c, err := x509.ParseCertificate(p.Bytes)
		if err != nil {
			return "", err
		}
		cas, err := parseCaCerts(rest)
		if err != nil {
			return "", err
		}
		return certsKeyToPkcs12(c, key, cas, pass)
	}
	pemTruststoreToPKCS12Pass := func(cert, pass string) (string, error) {
		cas, err := parseCaCerts([]byte(cert))
		if err != nil {
			return "", err
		}
		pfx, err := modern.EncodeTrustStore(cas, pass)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(pfx), nil
	}
	return map[string]any{
		"pemToPkcs12":               func(c, k string) (string, error) { return pemToPkcs12Pass(c, k, "") },
		"fullPemToPkcs12":           func(c, k string) (string, error) { return fullPemToPkcs12Pass(c, k, "") },
		"rsaDecrypt":                rsaDecrypt,
		"pkcs12key":                 pkcs12key,
		"pkcs12keyPass":             pkcs12keyPass,
		"pkcs12cert":                pkcs12cert,
		"pkcs12certPass":            pkcs12certPass,
		"pemToPkcs12Pass":           pemToPkcs12Pass,
		"fullPemToPkcs12Pass":       fullPemToPkcs12Pass,
		"pemTruststoreToPKCS12":     func(c string) (string, error) { return pemTruststoreToPKCS12Pass(c, "") },
		"pemTruststoreToPKCS12Pass": pemTruststoreToPKCS12Pass,
		"filterPEM":                 filterPEM,
		"filterCertChain":           filterCertChain,
		"certSANs":                  certSANs,
		"jwkPublicKeyPem":           jwkPublicKeyPem,
		"jwkPrivateKeyPem":          jwkPrivateKeyPem,
		"toYaml":                    toYAML,
		"fromYaml":                  fromYAML,
		"htpasswd":                  htpasswd3,
		"hexdec":                    hexdec,
	}
}

// hashAlgorithm mirrors ESO's sprig copy (from Masterminds/sprig 8cb06fe), whose
// htpasswd takes a third argument; the module proxy only serves v3.3.0 (two arguments).
type hashAlgorithm string

func htpasswd3(username, password string, alg hashAlgorithm) string {
	if strings.Contains(username, ":") {
		return fmt.Sprintf("invalid username: %s", username)
	}
	if alg == "sha" {
		sum := sha1.Sum([]byte(password))
		return fmt.Sprintf("%s:{SHA}%s", username, base64.StdEncoding.EncodeToString(sum[:]))
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Sprintf("%s:failed to encrypt string with bcrypt: %s", username, err)
	}
	return fmt.Sprintf("%s:%s", username, hash)
}

// hexdec is the sprig copy's addition: the error text, not an error, on bad input.
func hexdec(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func toYAML(v any) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(str string) map[string]any {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func pemEncode(b []byte, kind string) (string, error) {
	var buf bytes.Buffer
	err := pem.Encode(&buf, &pem.Block{Type: kind, Bytes: b})
	return buf.String(), err
}

func trimJunk(input string) string {
	if i := strings.Index(input, "-----BEGIN"); i >= 0 {
		return input[i:]
	}
	return input
}

func filterPEM(pemType, input string) (string, error) {
	data := []byte(trimJunk(input))
	var blocks []byte
	var rest []byte
	for {
		var block *pem.Block
		block, rest = pem.Decode(data)
		data = rest
		if block == nil {
			break
		}
		if !strings.EqualFold(block.Type, pemType) {
			continue
		}
		blocks = append(blocks, pem.EncodeToMemory(block)...)
	}
	if len(blocks) == 0 && len(rest) != 0 {
		return "", errors.New("error filtering pem: found junk")
	}
	return string(blocks), nil
}

type node struct {
	cert     *x509.Certificate
	parent   *node
	isParent bool
}

func chain(data []byte) ([]*x509.Certificate, error) {
	var nodes []*node
	for {
		block, rest := pem.Decode(data)
		data = rest
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, &node{cert: cert})
	}
	for i := range nodes {
		for j := range nodes {
			if i == j {
				continue
			}
			if bytes.Equal(nodes[i].cert.AuthorityKeyId, nodes[j].cert.SubjectKeyId) {
				nodes[j].isParent = true
				nodes[i].parent = nodes[j]
				break
			}
		}
	}
	var leaf *node
	for _, n := range nodes {
		if !n.isParent {
			if leaf != nil {
				return nil, errors.New("found multiple leaf or disjunct certificates")
			}
			leaf = n
		}
	}
	if leaf == nil {
		return nil, errors.New("no leaf certificate found")
	}
	var out []*x509.Certificate
	for n := 0; leaf != nil; leaf = leaf.parent {
		n++
		if n > len(nodes) {
			return nil, errors.New("constructing chain resulted in cycle")
		}
		out = append(out, leaf.cert)
	}
	return out, nil
}

func isRoot(c *x509.Certificate) bool {
	return c.AuthorityKeyId == nil || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId)
}

func filterCertChain(certType, input string) (string, error) {
	ordered, err := chain([]byte(input))
	if err != nil {
		return "", err
	}
	switch certType {
	case "leaf":
		c := ordered[0]
		if c.AuthorityKeyId != nil && !bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId) {
			return pemEncode(c.Raw, "CERTIFICATE")
		}
	case "intermediate":
		if len(ordered) < 2 {
			return "", nil
		}
		var out []byte
		for _, c := range ordered[1:] {
			if isRoot(c) {
				break
			}
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		return string(out), nil
	case "root":
		c := ordered[len(ordered)-1]
		if isRoot(c) {
			return pemEncode(c.Raw, "CERTIFICATE")
		}
	}
	return "", nil
}

func certSANs(input string) ([]string, error) {
	block, _ := pem.Decode([]byte(trimJunk(input)))
	if block == nil {
		return nil, fmt.Errorf("failed to decode PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	sans := append([]string{}, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		sans = append(sans, ip.String())
	}
	sans = append(sans, cert.EmailAddresses...)
	for _, u := range cert.URIs {
		sans = append(sans, u.String())
	}
	return sans, nil
}

func pkcs12keyPass(pass, input string) (string, error) {
	key, _, _, err := gopkcs12.DecodeChain([]byte(input), pass)
	if err != nil {
		return "", fmt.Errorf("unable to decode pkcs12 with password: %s", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return pemEncode(der, "PRIVATE KEY")
}

func pkcs12key(input string) (string, error) { return pkcs12keyPass("", input) }

func pkcs12certPass(pass, input string) (string, error) {
	_, cert, cas, err := gopkcs12.DecodeChain([]byte(input), pass)
	if err != nil {
		return "", fmt.Errorf("unable to decode pkcs12 certificate with password: %s", err)
	}
	var pemData []byte
	pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})...)
	for _, ca := range cas {
		pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
	}
	ordered, err := chain(pemData)
	if err != nil {
		return string(pemData), nil
	}
	var out []byte
	for _, c := range ordered {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return string(out), nil
}

func pkcs12cert(input string) (string, error) { return pkcs12certPass("", input) }

func parsePrivateKey(b []byte) (any, error) {
	if k, err := x509.ParsePKCS1PrivateKey(b); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(b); err == nil {
		return k, nil
	}
	return nil, errors.New("unable to parse private key type")
}

func parseCaCerts(rest []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for len(rest) > 0 {
		var p *pem.Block
		p, rest = pem.Decode(rest)
		c, err := x509.ParseCertificate(p.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func jwkPublicKeyPem(jwkjson string) (string, error) {
	k, err := jwk.ParseKey([]byte(jwkjson))
	if err != nil {
		return "", err
	}
	var rawkey any
	if err := k.Raw(&rawkey); err != nil {
		return "", err
	}
	mpk, err := x509.MarshalPKIXPublicKey(rawkey)
	if err != nil {
		return "", err
	}
	return pemEncode(mpk, "PUBLIC KEY")
}

func jwkPrivateKeyPem(jwkjson string) (string, error) {
	k, err := jwk.ParseKey([]byte(jwkjson))
	if err != nil {
		return "", err
	}
	var pk any
	if err := k.Raw(&pk); err != nil {
		return "", err
	}
	mpk, err := x509.MarshalPKCS8PrivateKey(pk)
	if err != nil {
		return "", err
	}
	return pemEncode(mpk, "PRIVATE KEY")
}

// rsaDecrypt is ESO's decrypt.go.
func rsaDecrypt(scheme, hash, in, privateKey string) (string, error) {
	switch scheme {
	case "None":
		return in, nil
	case "RSA-OAEP":
		pemBlock, _ := pem.Decode([]byte(privateKey))
		if pemBlock == nil {
			return "", fmt.Errorf("failed to decode PEM block")
		}
		parsed, err := parsePrivateKey(pemBlock.Bytes)
		if err != nil {
			return "", fmt.Errorf("%w: %v", errors.New("could not parse private key"), err)
		}
		rsaKey, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return "", fmt.Errorf("could not parse RSA private key")
		}
		out, err := rsa.DecryptOAEP(oaepHash(hash), nil, rsaKey, []byte(in), nil)
		if err != nil {
			return "", fmt.Errorf("%w: %v", errors.New("error decrypting data with RSA"), err)
		}
		return string(out), nil
	default:
		return "", fmt.Errorf("decryption scheme %v is not supported", scheme)
	}
}

func oaepHash(h string) hash.Hash {
	switch h {
	case "SHA1":
		return crypto.SHA1.New()
	case "SHA512":
		return sha512.New()
	default:
		return sha256.New()
	}
}
