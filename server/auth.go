package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"collectif/access"
	"collectif/fault"
	"collectif/model"
)

// Session lifetimes: a session ends after IdleTimeout without a request,
// and in any case AbsoluteTimeout after the login.
const (
	IdleTimeout     = 24 * time.Hour
	AbsoluteTimeout = 7 * 24 * time.Hour
	// sessionRefresh: the session is written back (sliding its idle
	// expiry) at most this often, not on every request.
	sessionRefresh = 5 * time.Minute
	sessionCookie  = "collectif_session"
)

func randomKey() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// who is what the identify middleware learnt about the request.
type who struct {
	p       access.Principal
	sess    *webSession     // nil for token requests and cookie-less visitors
	token   *model.APIToken // set for bearer requests
	dirty   bool            // the session must be saved
	account *model.Account  // loaded on demand
	lang    string          // the language the logged-in member chose, "" for none
}

const localWho = "collectif.who"

func whoOf(c *fiber.Ctx) *who {
	if w, ok := c.Locals(localWho).(*who); ok {
		return w
	}
	return &who{p: access.Anonymous()}
}

// principal says who makes the request.
func principal(c *fiber.Ctx) access.Principal { return whoOf(c).p }

var errSessionStore = &fault.Error{Kind: fault.Unavailable, Message: "les sessions sont momentanément indisponibles, réessayez dans un instant"}

// identify reads the bearer token or the session cookie and puts the
// principal in the request's locals; it saves the session afterwards when
// it changed.
func (s *Server) identify(c *fiber.Ctx) error {
	w := &who{p: access.Anonymous()}
	c.Locals(localWho, w)
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		if !strings.HasPrefix(c.Path(), "/api/") {
			return c.Next() // bearer tokens are for the API only
		}
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return &fault.Error{Kind: fault.Unauthorized, Message: "en-tête Authorization invalide : attendu « Bearer <jeton> »"}
		}
		if err := s.limit(c, "token-ip", c.IP(), 600, time.Minute); err != nil {
			return err
		}
		a, t, err := s.d.Accounts.AuthenticateToken(c.UserContext(), strings.TrimSpace(tok))
		if err != nil {
			return err
		}
		w.p, w.token, w.account, w.lang = access.Account(a.ID, a.IsAdmin), t, a, a.Lang
		if !t.CanWrite() && c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return &fault.Error{Kind: fault.Forbidden, Message: "ce jeton ne permet que la lecture (portée read)"}
		}
		return c.Next()
	}
	if c.Cookies(sessionCookie) != "" {
		sess, err := s.sessions.load(c)
		if err != nil {
			s.log.WarnContext(c.UserContext(), "session store unavailable", "err", err)
			if !safeMethod(c) {
				return errSessionStore
			}
			// Redis is away: pages are read as a visitor until it is back
			// (public pages keep working; forms and private pages say the
			// sessions are unavailable). Nothing is written meanwhile.
			return c.Next()
		}
		w.sess = sess
		if uid := sess.data.AccountID; uid != "" {
			st, err := s.d.Accounts.SessionState(c.UserContext(), uid)
			switch {
			case err != nil && !fault.Is(err, fault.NotFound):
				return err
			case err != nil, st.Epoch != sess.data.Epoch, time.Since(time.Unix(sess.data.Since, 0)) > AbsoluteTimeout:
				// Deleted account, "log out everywhere", or too old.
				s.endSession(c, w)
			default:
				w.p, w.lang = access.Account(uid, st.Admin), st.Lang
				if time.Since(time.Unix(sess.data.Seen, 0)) > sessionRefresh {
					sess.data.Seen = time.Now().Unix()
					w.dirty = true
				}
			}
		}
	}
	err := c.Next()
	if w.sess != nil && w.dirty {
		if serr := s.sessions.save(c, w.sess); serr != nil {
			s.log.WarnContext(c.UserContext(), "session not saved", "err", serr)
			if err == nil {
				err = errSessionStore
			}
		}
	}
	return err
}

// session returns the request's session, creating one (not yet stored)
// for a visitor.
func (s *Server) session(c *fiber.Ctx) (*webSession, error) {
	w := whoOf(c)
	if w.sess == nil {
		sess, err := s.sessions.load(c)
		if err != nil {
			return nil, errSessionStore
		}
		w.sess = sess
	}
	return w.sess, nil
}

// saveSession stores the session now (before a redirect to another site).
func (s *Server) saveSession(c *fiber.Ctx) error {
	w := whoOf(c)
	if w.sess == nil {
		return nil
	}
	if err := s.sessions.save(c, w.sess); err != nil {
		return errSessionStore
	}
	w.dirty = false
	return nil
}

// csrfToken returns the session's anti-forgery token, creating it.
func (s *Server) csrfToken(c *fiber.Ctx) (string, error) {
	sess, err := s.session(c)
	if err != nil {
		return "", err
	}
	if t := sess.data.CSRF; t != "" {
		return t, nil
	}
	t := randomKey()
	sess.data.CSRF = t
	whoOf(c).dirty = true
	return t, nil
}

func safeMethod(c *fiber.Ctx) bool {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return true
	}
	return false
}

var errCSRF = &fault.Error{Kind: fault.Forbidden, Message: "le formulaire a expiré ou ne vient pas de ce site : rechargez la page et recommencez"}

// checkCSRF refuses a state-changing request whose form field _csrf (or
// X-CSRF-Token header) does not match the session's token. Bearer-token
// API requests carry no cookie and need none.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	w := whoOf(c)
	if w.token != nil || isInbox(c.Method(), c.Path()) {
		return c.Next()
	}
	// Browsers say where a request comes from; a cross-site form post is
	// refused before looking at tokens.
	if site := c.Get("Sec-Fetch-Site"); site == "cross-site" {
		return errCSRF
	}
	if w.sess == nil {
		// An API call with neither token nor session carries no ambient
		// authority to abuse: let the handler answer 401. A page form
		// always needs its session (login forms included, against
		// login CSRF).
		if strings.HasPrefix(c.Path(), "/api/") {
			return c.Next()
		}
		return errCSRF
	}
	want := w.sess.data.CSRF
	got := c.FormValue("_csrf")
	if got == "" {
		got = c.Get("X-CSRF-Token")
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return errCSRF
	}
	return c.Next()
}

// endSession forgets the login of the session (and its data).
func (s *Server) endSession(c *fiber.Ctx, w *who) {
	if w.sess == nil {
		return
	}
	if uid := w.sess.data.AccountID; uid != "" {
		s.d.KV.SRem(c.UserContext(), "acct-sess:"+uid, w.sess.handle())
		s.d.KV.Delete(c.UserContext(), "sessinfo:"+w.sess.handle())
	}
	if err := s.sessions.destroy(c, w.sess); err != nil {
		s.log.WarnContext(c.UserContext(), "session not destroyed", "err", err)
	}
	w.sess, w.dirty, w.lang = nil, false, ""
	w.p = access.Anonymous()
}

// sessionInfo is what the sessions page shows of each open session.
type sessionInfo struct {
	ID        string    `json:"-"`
	Short     string    `json:"-"` // what pages show and forms send back
	Since     time.Time `json:"since"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"ua"`
	Method    string    `json:"method"`
	Current   bool      `json:"-"`
}

// startSession logs the account in: a new session ID (the one the visitor
// had before login is dropped, against session fixation), its epoch, and
// an entry in the account's list of sessions. A member who chose a
// language gets it in this browser's lang cookie too, so that the pages
// stay in it after they log out.
func (s *Server) startSession(c *fiber.Ctx, a *model.Account, method string) error {
	sess, err := s.session(c)
	if err != nil {
		return err
	}
	if err := s.sessions.regenerate(c, sess); err != nil {
		return errSessionStore
	}
	st, err := s.d.Accounts.SessionState(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	sess.data = sessionData{AccountID: a.ID, Epoch: st.Epoch, Since: now.Unix(), Seen: now.Unix(), CSRF: randomKey()}
	if err := s.saveSession(c); err != nil {
		return err
	}
	w := whoOf(c)
	w.p, w.lang = access.Account(a.ID, a.IsAdmin), st.Lang
	if st.Lang != "" {
		s.useLang(c, st.Lang)
	}
	info, _ := json.Marshal(sessionInfo{Since: now.UTC(), IP: c.IP(), UserAgent: trim(c.Get(fiber.HeaderUserAgent), 200), Method: method})
	ctx := c.UserContext()
	if err := s.d.KV.Set(ctx, "sessinfo:"+sess.handle(), info, AbsoluteTimeout); err != nil {
		s.log.WarnContext(ctx, "session info not stored", "err", err)
	}
	if err := s.d.KV.SAdd(ctx, "acct-sess:"+a.ID, sess.handle(), AbsoluteTimeout); err != nil {
		s.log.WarnContext(ctx, "session index not stored", "err", err)
	}
	return nil
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// limit counts one request against a rate limit and refuses it with 429
// and Retry-After when the limit is reached. When the limiter's store is
// unreachable the request goes through: a limit must not take the hub
// down with Redis (the failure is logged).
func (s *Server) limit(c *fiber.Ctx, name, key string, n int, window time.Duration) error {
	d, err := s.d.KV.Allow(c.UserContext(), name+":"+key, n, window)
	if err != nil {
		s.log.WarnContext(c.UserContext(), "rate limiter unavailable", "limit", name, "err", err)
		return nil
	}
	if d.Allowed {
		return nil
	}
	secs := int(math.Ceil(d.RetryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.Set(fiber.HeaderRetryAfter, fmt.Sprint(secs))
	return &tooMany{wait: secs}
}

type tooMany struct{ wait int }

func (t *tooMany) Error() string {
	return fmt.Sprintf("trop de tentatives : réessayez dans %d secondes", t.wait)
}

func isTooMany(err error) (*tooMany, bool) {
	var t *tooMany
	return t, errors.As(err, &t)
}
