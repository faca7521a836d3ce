package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"time"
)

// SMTP sends through a mail server: smtps://host:465 for implicit TLS,
// smtp://host:587 for STARTTLS (used whenever the server offers it), with
// user and password from the URL when present.
type SMTP struct {
	addr     string
	host     string
	implicit bool
	user     string
	pass     string
	msgHost  string
	timeout  time.Duration
	tls      *tls.Config
}

// NewSMTP parses rawURL. msgHost is the host of Message-IDs.
func NewSMTP(rawURL, msgHost string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("mail: malformed SMTP URL")
	}
	s := &SMTP{host: u.Hostname(), msgHost: msgHost, timeout: 30 * time.Second}
	port := u.Port()
	switch u.Scheme {
	case "smtps":
		s.implicit = true
		if port == "" {
			port = "465"
		}
	case "smtp":
		if port == "" {
			port = "587"
		}
	default:
		return nil, fmt.Errorf("mail: scheme %q is not smtp or smtps", u.Scheme)
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	s.tls = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	return s, nil
}

// WithTLSConfig replaces the TLS configuration (tests trust their own CA).
func (s *SMTP) WithTLSConfig(c *tls.Config) *SMTP { s.tls = c; return s }

// Name says where mails go.
func (s *SMTP) Name() string { return "smtp" }

// Send delivers m, bounded by ctx and a 30-second timeout.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	b, err := m.Bytes(s.msgHost)
	if err != nil {
		return err
	}
	rcpts, err := m.Recipients()
	if err != nil {
		return err
	}
	from, err := (&Message{To: []string{m.From}}).Recipients()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	d := net.Dialer{Deadline: deadline}
	var conn net.Conn
	if s.implicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: s.tls}).DialContext(ctx, "tcp", s.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return fmt.Errorf("mail: connect %s: %w", s.addr, err)
	}
	conn.SetDeadline(deadline)
	// The context may end before the deadline: close the connection then.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	defer c.Close()
	if !s.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tls); err != nil {
				return fmt.Errorf("mail: starttls: %w", err)
			}
		}
	}
	if s.user != "" {
		// net/smtp refuses PLAIN over a connection that is neither TLS
		// nor to localhost: a password never crosses the network in clear.
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(from[0]); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("mail: RCPT TO: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	return c.Quit()
}
