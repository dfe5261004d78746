package main

// ESO's extra template functions (runtime/template/v2: pem.go, pem_chain.go,
// pkcs12.go, jwk.go, yaml.go), re-created with the same libraries so the oracle
// behaves like the controller.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"sigs.k8s.io/yaml"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"
)

func esoFuncs() map[string]any {
	return map[string]any{
		"pkcs12key":                 pkcs12key,
		"pkcs12keyPass":             pkcs12keyPass,
		"pkcs12cert":                pkcs12cert,
		"pkcs12certPass":            pkcs12certPass,
		"pemToPkcs12":               pemToPkcs12,
		"pemToPkcs12Pass":           pemToPkcs12Pass,
		"fullPemToPkcs12":           fullPemToPkcs12,
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
	}
}

// hashAlgorithm mirrors ESO's vendored sprig (Masterminds/sprig 8cb06fe), whose
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

func certsKeyToPkcs12(cert *x509.Certificate, key string, cas []*x509.Certificate, pass string) (string, error) {
	kp, _ := pem.Decode([]byte(key))
	k, err := parsePrivateKey(kp.Bytes)
	if err != nil {
		return "", err
	}
	pfx, err := gopkcs12.Modern.Encode(k, cert, cas, pass)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(pfx), nil
}

func pemToPkcs12(cert, key string) (string, error) { return pemToPkcs12Pass(cert, key, "") }

func pemToPkcs12Pass(cert, key, pass string) (string, error) {
	p, _ := pem.Decode([]byte(cert))
	c, err := x509.ParseCertificate(p.Bytes)
	if err != nil {
		return "", err
	}
	return certsKeyToPkcs12(c, key, nil, pass)
}

func fullPemToPkcs12(cert, key string) (string, error) { return fullPemToPkcs12Pass(cert, key, "") }

func fullPemToPkcs12Pass(cert, key, pass string) (string, error) {
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

func pemTruststoreToPKCS12Pass(cert, pass string) (string, error) {
	cas, err := parseCaCerts([]byte(cert))
	if err != nil {
		return "", err
	}
	pfx, err := gopkcs12.Modern.EncodeTrustStore(cas, pass)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(pfx), nil
}

// JWK: ESO uses lestrrat-go/jwx; the oracle decodes RSA, EC and OKP keys with the
// standard library, which yields the same PKIX / PKCS#8 DER.
type jwkJSON struct {
	Kty, Crv, N, E, D, P, Q, Dp, Dq, Qi, X, Y string
}

func b64u(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func bigU(s string) (*big.Int, error) {
	b, err := b64u(s)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}

func parseJWK(s string) (pub any, priv any, err error) {
	var j jwkJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, nil, err
	}
	switch j.Kty {
	case "RSA":
		n, err := bigU(j.N)
		if err != nil {
			return nil, nil, err
		}
		e, err := bigU(j.E)
		if err != nil {
			return nil, nil, err
		}
		pk := &rsa.PublicKey{N: n, E: int(e.Int64())}
		if j.D == "" {
			return pk, nil, nil
		}
		d, _ := bigU(j.D)
		p, _ := bigU(j.P)
		q, _ := bigU(j.Q)
		k := &rsa.PrivateKey{PublicKey: *pk, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		return pk, k, nil
	case "EC":
		var curve elliptic.Curve
		switch j.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, nil, fmt.Errorf("unsupported curve %q", j.Crv)
		}
		x, _ := bigU(j.X)
		y, _ := bigU(j.Y)
		pk := &ecdsa.PublicKey{Curve: curve, X: x, Y: y}
		if j.D == "" {
			return pk, nil, nil
		}
		d, _ := bigU(j.D)
		return pk, &ecdsa.PrivateKey{PublicKey: *pk, D: d}, nil
	case "OKP":
		x, _ := b64u(j.X)
		pk := ed25519.PublicKey(x)
		if j.D == "" {
			return pk, nil, nil
		}
		d, _ := b64u(j.D)
		return pk, ed25519.NewKeyFromSeed(d), nil
	}
	return nil, nil, fmt.Errorf("unsupported kty %q", j.Kty)
}

func jwkPublicKeyPem(s string) (string, error) {
	pub, _, err := parseJWK(s)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	return pemEncode(der, "PUBLIC KEY")
}

func jwkPrivateKeyPem(s string) (string, error) {
	_, priv, err := parseJWK(s)
	if err != nil {
		return "", err
	}
	if priv == nil {
		return "", errors.New("not a private key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	return pemEncode(der, "PRIVATE KEY")
}
