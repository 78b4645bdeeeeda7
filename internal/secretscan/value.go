package secretscan

// Value says whether v, the value of key in structured data (a YAML or JSON
// map decoded into Go values), is plaintext secret material, and of which
// kind: one of the Kind constants, or "" when it is not. It applies Scan's
// rules to the value alone: a PEM private key or a token of a recognisable
// shape anywhere in v, a secret-named key = value inside v (a Python
// snippet that sets client_secret), and, when key is secret-named, a
// high-entropy v (or an AWS secret access key). Placeholders are not
// secrets, as for Scan. Like Scan, it never returns the secret.
func Value(key, v string) string {
	s := scanner{data: []byte(v)}
	s.pem()
	s.tokens()
	s.keyValues()
	if secretNamed(key) {
		s.candidate(key, 0, v)
	}
	if m := s.result(); len(m) > 0 {
		return m[0].Kind
	}
	return ""
}

// IsPlaceholder reports whether v is evidently not a real secret: it
// contains CHANGEME, placeholder, example, redacted or a run of 8 X's, in
// any case (the rule Scan applies before reporting a value).
func IsPlaceholder(v string) bool { return isPlaceholder(v) }
