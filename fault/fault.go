// Package fault holds the error kinds that the domain returns and that the
// edges (HTML pages, the JSON API, ActivityPub) turn into answers.
//
// A fault carries a Kind, a message that is safe to show to the person who
// made the request, the field at fault when there is one, and the wrapped
// cause, which is never shown. HTTP status codes live in server/, not here.
//
// Messages are written in French, where the rule is. As GNU gettext does,
// the French format string is also the message's ID in the other
// languages: New and Field keep it (Format) with its values (Args), and
// Localize formats the translation of Format with the same values. A
// literal &Error{Message: "…"} has no Format: its Message is its ID. A
// value that is itself an *Error stands for its message, translated in
// turn (a record's error inside the error naming the file, say). The
// translations are in frontend/locales/faults/en.toml, whose tests check
// that every format written in the code has one.
//
// It imports only the standard library.
package fault

import (
	"errors"
	"fmt"
)

// Kind says what went wrong in terms the caller can act on.
type Kind uint8

const (
	// Internal is anything the caller cannot fix; its message is generic.
	Internal Kind = iota
	// Invalid: the input breaks a rule; Field names the field when one is at fault.
	Invalid
	// NotFound: the thing does not exist or the caller may not know it exists.
	NotFound
	// Conflict: the change collides with the current state (duplicate, stale).
	Conflict
	// Forbidden: the caller is known but may not do this.
	Forbidden
	// Unauthorized: the caller must authenticate first.
	Unauthorized
	// Unavailable: a dependency is down; trying again later may work.
	Unavailable
	// Gone: the thing existed, or the window to act has closed.
	Gone
	// TooLarge: the input is bigger than allowed.
	TooLarge
)

var kindNames = [...]string{
	Internal:     "internal",
	Invalid:      "invalid",
	NotFound:     "not_found",
	Conflict:     "conflict",
	Forbidden:    "forbidden",
	Unauthorized: "unauthorized",
	Unavailable:  "unavailable",
	Gone:         "gone",
	TooLarge:     "too_large",
}

// String returns the stable code used in JSON errors.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Error is a domain error.
type Error struct {
	Kind    Kind
	Op      string // the operation, for logs: "collective.Create"
	Field   string // the input field at fault, if any
	Message string // safe to show, in French
	Err     error  // the cause, never shown

	// Format and Args are what Message was made of (New, Field); Format is
	// the ID of the message's translations. Empty in a literal fault, whose
	// Message is its own ID.
	Format string
	Args   []any
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New returns a fault of the kind with a safe message.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, messages(args, nil)...), Format: format, Args: args}
}

// Field returns an Invalid fault naming the field.
func Field(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, messages(args, nil)...), Format: format, Args: args}
}

// messages returns args with each *Error replaced by its message, in
// French (translate nil) or as Localize gives it.
func messages(args []any, translate func(string) (string, bool)) []any {
	var out []any // a copy, made at the first fault: args are the caller's
	for i, a := range args {
		f, ok := a.(*Error)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		if translate == nil {
			out[i] = f.Message
		} else {
			out[i] = Localize(f, translate)
		}
	}
	if out == nil {
		return args
	}
	return out
}

// Wrap returns an Internal fault for op around err, unless err already is a
// fault, in which case it keeps its kind and message and gains the op.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var f *Error
	if errors.As(err, &f) {
		if f.Op == "" {
			cp := *f
			cp.Op = op
			return &cp
		}
		return err
	}
	return &Error{Kind: Internal, Op: op, Err: err}
}

// KindOf returns the kind of the first fault in err's chain, Internal if none.
func KindOf(err error) Kind {
	var f *Error
	if errors.As(err, &f) {
		return f.Kind
	}
	return Internal
}

// Is reports whether err is a fault of kind k.
func Is(err error, k Kind) bool {
	var f *Error
	return errors.As(err, &f) && f.Kind == k
}

// internalMessage is what MessageOf says of an error whose cause must not
// leak; it is an ID of the translations too.
const internalMessage = "une erreur interne est survenue"

// MessageOf returns the safe message of err: the fault's message, or a
// generic text for internal errors whose cause must not leak.
func MessageOf(err error) string {
	var f *Error
	if errors.As(err, &f) && f.Kind != Internal && f.Message != "" {
		return f.Message
	}
	return internalMessage
}

// Localize returns MessageOf(err) in another language. translate gives the
// translation of a message ID (a French format string), or false when it
// has none; the translation is formatted with the fault's Args, so it must
// hold the same verbs in the same order. Without a translation, the French
// message is returned.
func Localize(err error, translate func(id string) (string, bool)) string {
	var f *Error
	if !errors.As(err, &f) || f.Kind == Internal || f.Message == "" {
		if s, ok := translate(internalMessage); ok {
			return s
		}
		return internalMessage
	}
	if f.Format == "" {
		if s, ok := translate(f.Message); ok {
			return s
		}
		return f.Message
	}
	if s, ok := translate(f.Format); ok {
		return fmt.Sprintf(s, messages(f.Args, translate)...)
	}
	return f.Message
}

// FieldOf returns the field at fault, or "".
func FieldOf(err error) string {
	var f *Error
	if errors.As(err, &f) {
		return f.Field
	}
	return ""
}
