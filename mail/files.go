package mail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Files writes each message as an .eml file in Dir.
type Files struct {
	Dir  string
	Host string // Message-ID host
}

// Name says where mails go.
func (f *Files) Name() string { return "files" }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Send writes m to Dir/<ID>.eml, atomically (temporary file, fsync, rename):
// a reader never sees half a message, and sending m again replaces it.
func (f *Files) Send(_ context.Context, m *Message) error {
	if m.ID == "" {
		return fmt.Errorf("mail: the file sender needs a message ID")
	}
	b, err := m.Bytes(f.Host)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	name := filepath.Join(f.Dir, unsafeName.ReplaceAllString(m.ID, "_")+".eml")
	tmp, err := os.CreateTemp(f.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}
