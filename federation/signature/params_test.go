package signature

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Real headers, in the forms the fediverse sends them (signature values
// shortened where the test is about parsing only).
var realHeaders = []string{
	// Mastodon (app/lib/request.rb): keyId, algorithm, headers, signature.
	`keyId="https://mastodon.example/users/alice#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="Y2FiYWIxNGRiZDk4ZA=="`,
	// Mastodon's documentation example, without algorithm.
	`keyId="https://my-example.com/actor#main-key",headers="(request-target) host date",signature="Y2FiYWIxNGRiZDk4ZA=="`,
	// GoToSocial (go-fed fork): hs2019, key id without fragment.
	`keyId="https://gts.example/users/bob/main-key",algorithm="hs2019",headers="(request-target) host date digest",signature="Y2FiYWIxNGRiZDk4ZA=="`,
	// draft-cavage-12 with created and expires.
	`keyId="Test",algorithm="hs2019",created=1402170695,expires=1402170699,headers="(request-target) (created) (expires) host date",signature="Y2FiYWIxNGRiZDk4ZA=="`,
	draftAllSig,
	draftDefaultSig,
}

func TestParseSignatureHeader(t *testing.T) {
	p, err := ParseSignatureHeader(realHeaders[0])
	if err != nil {
		t.Fatal(err)
	}
	want := Params{
		KeyID:     "https://mastodon.example/users/alice#main-key",
		Algorithm: "rsa-sha256",
		Headers:   []string{"(request-target)", "host", "date", "digest", "content-type"},
		Signature: []byte("cabab14dbd98d"),
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	if p.String() != realHeaders[0] {
		t.Errorf("String() = %s", p.String())
	}

	p, err = ParseSignatureHeader(realHeaders[3])
	if err != nil {
		t.Fatal(err)
	}
	if p.Created != 1402170695 || p.Expires != 1402170699 || p.Algorithm != "hs2019" {
		t.Errorf("got %+v", p)
	}

	for name, tc := range map[string]struct {
		in   string
		want Params
	}{
		"spaces, tabs, case, trailing comma, unknown key": {
			in:   " KeyID = \"k\" ,\tAlgorithm=hs2019 , headers=\"Host  Date\", foo=\"bar\", signature=\"YQ==\",",
			want: Params{KeyID: "k", Algorithm: "hs2019", Headers: []string{"host", "date"}, Signature: []byte("a")},
		},
		"escapes in quoted strings": {
			in:   `keyId="https://a.example/u?x=\"1\",y=\\2",signature="YQ=="`,
			want: Params{KeyID: `https://a.example/u?x="1",y=\2`, Signature: []byte("a")},
		},
		"comma inside a quoted keyId": {
			in:   `signature="YQ==",keyId="https://a.example/users/a,b#main-key"`,
			want: Params{KeyID: "https://a.example/users/a,b#main-key", Signature: []byte("a")},
		},
		"unpadded base64": {
			in:   `keyId="k",signature="YQ"`,
			want: Params{KeyID: "k", Signature: []byte("a")},
		},
		"empty headers list": {
			in:   `keyId="k",headers="",signature="YQ=="`,
			want: Params{KeyID: "k", Headers: []string{}, Signature: []byte("a")},
		},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := ParseSignatureHeader(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tc.want) {
				t.Fatalf("got %#v\nwant %#v", p, tc.want)
			}
			again, err := ParseSignatureHeader(p.String())
			if err != nil || !reflect.DeepEqual(again, p) {
				t.Fatalf("round trip of %s: %#v, %v", p.String(), again, err)
			}
		})
	}
}

func TestParseSignatureHeaderRefuses(t *testing.T) {
	huge := `keyId="` + strings.Repeat("a", maxHeaderLen) + `",signature="YQ=="`
	for name, in := range map[string]string{
		"empty":                    ``,
		"no keyId":                 `signature="YQ=="`,
		"no signature":             `keyId="k"`,
		"empty keyId":              `keyId="",signature="YQ=="`,
		"empty signature":          `keyId="k",signature=""`,
		"duplicate keyId":          `keyId="a",keyId="b",signature="YQ=="`,
		"duplicate, other case":    `keyId="a",KEYID="b",signature="YQ=="`,
		"duplicate unknown key":    `keyId="a",x=1,x=2,signature="YQ=="`,
		"duplicate signature":      `keyId="a",signature="YQ==",signature="Yg=="`,
		"unterminated quote":       `keyId="a,signature="YQ==`,
		"escape at end":            `keyId="a\`,
		"newline in value":         "keyId=\"a\nb\",signature=\"YQ==\"",
		"escaped newline":          "keyId=\"a\\\nb\",signature=\"YQ==\"",
		"NUL in value":             "keyId=\"a\x00\",signature=\"YQ==\"",
		"missing =":                `keyId "a",signature="YQ=="`,
		"missing comma":            `keyId="a" signature="YQ=="`,
		"empty token value":        `keyId=,signature="YQ=="`,
		"bad base64":               `keyId="a",signature="not base64!"`,
		"url-safe base64":          `keyId="a",signature="_-8="`,
		"created not a number":     `keyId="a",created="soon",signature="YQ=="`,
		"created negative":         `keyId="a",created=-1,signature="YQ=="`,
		"created with leading 0":   `keyId="a",created=01402170695,signature="YQ=="`,
		"created overflow":         `keyId="a",created=99999999999999999999,signature="YQ=="`,
		"expires fractional":       `keyId="a",expires=1402170699.5,signature="YQ=="`,
		"header name with colon":   `keyId="a",headers="host: evil",signature="YQ=="`,
		"unknown pseudo-header":    `keyId="a",headers="(request-line) host",signature="YQ=="`,
		"parameter name not token": `keyId="a",(x)=1,signature="YQ=="`,
		"over 8 KiB":               huge,
	} {
		t.Run(name, func(t *testing.T) {
			p, err := ParseSignatureHeader(in)
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

func FuzzParseSignatureHeader(f *testing.F) {
	for _, h := range realHeaders {
		f.Add(h)
	}
	f.Add(`keyId="a\"b\\c",signature="YQ"`)
	f.Add(`keyId="a",keyId="b",signature="YQ=="`)
	f.Add(` KeyID = "k" ,	Algorithm=hs2019 , headers="Host  Date", foo="bar", signature="YQ==",`)
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseSignatureHeader(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		out := p.String()
		again, err := ParseSignatureHeader(out)
		if err != nil {
			// Quoting token values and padding base64 can lengthen a header
			// accepted near the size limit; nothing else may fail.
			if len(out) > maxHeaderLen {
				return
			}
			t.Fatalf("String() of %q gives %q, which does not parse: %v", in, out, err)
		}
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("round trip of %q:\n first %#v\nsecond %#v", in, p, again)
		}
		if again.String() != out {
			t.Fatalf("String() not stable: %q then %q", out, again.String())
		}
	})
}
