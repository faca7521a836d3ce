package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/kv"
)

// webSession is a browser's session, kept in kv (Redis when configured, so
// every node sees it) under a hash of its ID: a copy of the store does not
// hold usable session IDs. It is a plain value owned by the request.
type webSession struct {
	id    string // the cookie value; "" until first saved
	fresh bool   // not stored yet
	data  sessionData
}

type sessionData struct {
	AccountID string `json:"uid,omitempty"`
	Epoch     int    `json:"epoch,omitempty"`
	Since     int64  `json:"since,omitempty"` // unix seconds of the login
	Seen      int64  `json:"seen,omitempty"`  // unix seconds of the last write-back
	CSRF      string `json:"csrf,omitempty"`
	Pending   string `json:"oidc,omitempty"`  // JSON of the OpenID login in progress
	Link      bool   `json:"link,omitempty"`  // that login links an identity to the account
	IDToken   string `json:"idt,omitempty"`   // for RP-initiated logout
	Provider  string `json:"prov,omitempty"`  // provider of the login
	Flash     string `json:"flash,omitempty"` // one message for the next page
}

// sessions stores web sessions in kv.
type sessions struct {
	kv     kv.Store
	secure bool
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "sess:" + hex.EncodeToString(sum[:])
}

// handle is the stored name of a session, used in the account's list.
func (ws *webSession) handle() string { return sessionKey(ws.id)[len("sess:"):] }

// load returns the session named by the request's cookie, or a fresh one.
func (st *sessions) load(c *fiber.Ctx) (*webSession, error) {
	id := c.Cookies(sessionCookie)
	if id == "" || len(id) > 100 {
		return &webSession{fresh: true}, nil
	}
	b, err := st.kv.Get(c.UserContext(), sessionKey(id))
	if errors.Is(err, kv.ErrNotFound) {
		return &webSession{fresh: true}, nil
	}
	if err != nil {
		return nil, err
	}
	ws := &webSession{id: id}
	if json.Unmarshal(b, &ws.data) != nil {
		return &webSession{fresh: true}, nil
	}
	return ws, nil
}

// save stores the session for IdleTimeout more and sets its cookie.
func (st *sessions) save(c *fiber.Ctx, ws *webSession) error {
	if ws.id == "" {
		ws.id = randomKey()
	}
	b, _ := json.Marshal(ws.data)
	if err := st.kv.Set(c.UserContext(), sessionKey(ws.id), b, IdleTimeout); err != nil {
		return err
	}
	ws.fresh = false
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: ws.id, Path: "/", HTTPOnly: true, Secure: st.secure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(AbsoluteTimeout)})
	return nil
}

// regenerate gives the session a new ID, dropping the old one: a session ID
// seen before a login is worthless after it (session fixation).
func (st *sessions) regenerate(c *fiber.Ctx, ws *webSession) error {
	if ws.id != "" {
		if err := st.kv.Delete(c.UserContext(), sessionKey(ws.id)); err != nil {
			return err
		}
	}
	ws.id = randomKey()
	return nil
}

// destroy deletes the session and its cookie.
func (st *sessions) destroy(c *fiber.Ctx, ws *webSession) error {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: st.secure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(1, 0), MaxAge: -1})
	if ws.id == "" {
		return nil
	}
	return st.kv.Delete(c.UserContext(), sessionKey(ws.id))
}

// deleteByHandle ends a session known by its handle (from the account's list).
func (st *sessions) deleteByHandle(ctx context.Context, handle string) error {
	return st.kv.Delete(ctx, "sess:"+handle)
}
