package federation_test

import (
	"context"
	"net/url"
	"testing"

	"collectif/access"
	"collectif/federation"
	"collectif/store"
	"collectif/store/storetest"
)

func TestWantsActivity(t *testing.T) {
	cases := []struct {
		accept string
		want   bool
	}{
		{"application/activity+json", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"application/ld+json", true},
		{`application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"text/html;q=0.5, application/activity+json", true},
		{"application/activity+json;q=0.1, text/html", false},
		{"*/*", false},
		{"", false},
		{"application/json", false},
	}
	for _, c := range cases {
		if got := federation.WantsActivity(c.accept); got != c.want {
			t.Errorf("WantsActivity(%q) = %v, want %v", c.accept, got, c.want)
		}
	}
}

func TestAcceptableContentType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/activity+json": true, "application/activity+json; charset=utf-8": true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		"application/json": false, "text/plain": false, "": false,
	} {
		if got := federation.AcceptableContentType(ct); got != want {
			t.Errorf("%q: %v, want %v", ct, got, want)
		}
	}
}

func TestBlockList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		base, _ := url.Parse("https://hub.example")
		f := federation.New(federation.Deps{DB: db, BaseURL: base})
		if _, err := f.BlockInstance(ctx, access.Account("01J0000000000000000000000X", false), "bad.example", "", false); err == nil {
			t.Fatal("a member blocked an instance")
		}
		for _, bad := range []string{"", "a b", "x/y", "hub.example"} {
			if _, err := f.BlockInstance(ctx, access.System(), bad, "", false); err == nil {
				t.Errorf("blocked %q", bad)
			}
		}
		if _, err := f.BlockInstance(ctx, access.System(), "https://Bad.Example/", "spam", false); err != nil {
			t.Fatal(err)
		}
		for host, want := range map[string]bool{"bad.example": true, "BAD.example:443": true, "social.bad.example": true,
			"notbad.example": false, "example": false, "good.example": false} {
			if got := f.Blocked(ctx, host); got != want {
				t.Errorf("Blocked(%q) = %v, want %v", host, got, want)
			}
		}
		if err := f.UnblockInstance(ctx, access.System(), "bad.example"); err != nil {
			t.Fatal(err)
		}
		if f.Blocked(ctx, "bad.example") {
			t.Fatal("still blocked")
		}
	})
}
