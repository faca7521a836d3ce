package mail_test

import (
	"context"
	"io"
	"mime"
	"net"
	gomail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"collectif/mail"
)

func sample() *mail.Message {
	return &mail.Message{
		ID:      "welcome-01J0000000000000000000000",
		From:    "Collectif <collectif@hub.example>",
		To:      []string{"Camille Martin <camille@ville.example>"},
		Subject: "Bienvenue sur le réseau des collectivités",
		Text:    "Bonjour Camille,\n\nvotre compte est créé. À bientôt !\n",
		Attachments: []mail.Attachment{{
			Name: "invitation.ics", ContentType: "text/calendar; charset=utf-8; method=REQUEST",
			Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
		}},
	}
}

// readBack parses a rendered message the way a mail client would.
func readBack(t *testing.T, raw []byte) (*gomail.Message, string) {
	t.Helper()
	msg, err := gomail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("the message does not parse: %v", err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return msg, subj
}

func TestFilesSenderWritesOneFilePerMessage(t *testing.T) {
	dir := t.TempDir()
	s := &mail.Files{Dir: dir, Host: "hub.example"}
	m := sample()
	for range 2 { // a job that ran twice after a crash
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("files = %v, want exactly one", files)
	}
	raw, _ := os.ReadFile(files[0])
	msg, subj := readBack(t, raw)
	if subj != m.Subject {
		t.Fatalf("subject = %q", subj)
	}
	if got := msg.Header.Get("Message-Id"); got != "<welcome-01J0000000000000000000000@hub.example>" {
		t.Fatalf("Message-ID = %q", got)
	}
	body, _ := io.ReadAll(msg.Body)
	if !strings.Contains(string(body), "invitation.ics") || !strings.Contains(string(body), "text/calendar") {
		t.Fatalf("the attachment is missing:\n%s", body)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

// sink is a real SMTP server (go-smtp) on loopback that keeps what it gets.
type sink struct {
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data []byte
	user string
}

type session struct {
	s   *sink
	cur received
}

func (s *session) AuthMechanisms() []string { return []string{"PLAIN"} }
func (s *session) Reset()                   { s.cur = received{user: s.cur.user} }
func (s *session) Logout() error            { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.s.mu.Lock()
	s.s.msgs = append(s.s.msgs, s.cur)
	s.s.mu.Unlock()
	return nil
}

func startSink(t *testing.T) (*sink, string) {
	t.Helper()
	k := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: k}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 5 * time.Second
	srv.WriteTimeout = 5 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return k, ln.Addr().String()
}

func TestSMTPSenderDelivers(t *testing.T) {
	k, addr := startSink(t)
	s, err := mail.NewSMTP("smtp://"+addr, "hub.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.msgs) != 1 {
		t.Fatalf("server got %d messages", len(k.msgs))
	}
	got := k.msgs[0]
	if got.from != "collectif@hub.example" || len(got.to) != 1 || got.to[0] != "camille@ville.example" {
		t.Fatalf("envelope = %q → %v", got.from, got.to)
	}
	_, subj := readBack(t, got.data)
	if subj != sample().Subject {
		t.Fatalf("subject = %q", subj)
	}
}

func TestSMTPSenderFailsFastOnDeadServer(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	s, _ := mail.NewSMTP("smtp://"+addr, "hub.example")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.Send(ctx, sample()); err == nil {
		t.Fatal("sending to a closed port succeeded")
	}
}

func TestBadAddressesAreRefused(t *testing.T) {
	m := sample()
	m.To = []string{"not an address"}
	if _, err := m.Bytes("hub.example"); err == nil {
		t.Fatal("a malformed recipient was accepted")
	}
	m = sample()
	m.To = nil
	if _, err := m.Bytes("hub.example"); err == nil {
		t.Fatal("a message without recipient was accepted")
	}
}
