// Package mail sends the hub's e-mails: through an SMTP server when
// COLLECTIF_SMTP_URL is set, or into files under the data directory
// otherwise (one RFC 5322 .eml file per message, readable with any mail
// client), so that a hub without a mail server loses nothing.
//
// Messages are sent from jobs, which may run twice after a crash: a
// Message's ID is chosen by the caller from what it is about (the welcome
// mail of account X), so the file sender overwrites the same file and mail
// servers see the same Message-ID.
//
// It imports only the standard library.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Attachment is a file joined to a message.
type Attachment struct {
	Name        string // file name shown to the reader
	ContentType string // e.g. "text/calendar; method=REQUEST"
	Data        []byte
}

// Message is one e-mail.
type Message struct {
	ID          string // stable local part of the Message-ID; random when empty
	From        string // address, optionally with a name: "Collectif <hub@example.org>"
	To          []string
	Subject     string
	Text        string // plain-text body
	Attachments []Attachment
	Date        time.Time // default now
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m *Message) error
	Name() string
}

// Bytes renders m as an RFC 5322 message; host is the right-hand side of
// the Message-ID.
func (m *Message) Bytes(host string) ([]byte, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", m.From, err)
	}
	if len(m.To) == 0 {
		return nil, fmt.Errorf("mail: no recipient")
	}
	var to []string
	for _, t := range m.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("mail: to %q: %w", t, err)
		}
		to = append(to, a.String())
	}
	id := m.ID
	if id == "" {
		var b [12]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	var buf bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", "<"+id+"@"+host+">")
	h("From", from.String())
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("MIME-Version", "1.0")
	// RFC 3834: no out-of-office answers to machine mail.
	h("Auto-Submitted", "auto-generated")
	if len(m.Attachments) == 0 {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		buf.WriteString("\r\n")
		if err := writeQP(&buf, m.Text); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	mw := multipart.NewWriter(&buf)
	h("Content-Type", `multipart/mixed; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return nil, err
	}
	if err := writeQP(pw, m.Text); err != nil {
		return nil, err
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ct + `; name="` + mime.QEncoding.Encode("utf-8", a.Name) + `"`},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			pw.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		pw.Write([]byte(enc + "\r\n"))
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, text string) error {
	qp := quotedprintable.NewWriter(w)
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return err
	}
	return qp.Close()
}

// Recipients returns the bare addresses of m.To.
func (m *Message) Recipients() ([]string, error) {
	var out []string
	for _, t := range m.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, err
		}
		out = append(out, a.Address)
	}
	return out, nil
}
