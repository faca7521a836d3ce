// Package access says who is acting and what they may do: the Principal
// that every domain action receives, whether it comes from a page, the API,
// an ActivityPub request or the command line, and the one policy (Can) that
// decides every action from the principal's standing.
//
// It imports model/ only.
package access

// Principal is who performs an action.
type Principal struct {
	AccountID string // empty for a visitor
	Admin     bool   // instance administrator
	system    bool
}

// Anonymous is a visitor who has not logged in.
func Anonymous() Principal { return Principal{} }

// System is the operator at the command line (collectif admin, demo,
// migrations): allowed everything an instance administrator is.
func System() Principal { return Principal{Admin: true, system: true} }

// Account is a logged-in person.
func Account(id string, admin bool) Principal { return Principal{AccountID: id, Admin: admin} }

// IsAnonymous reports whether nobody is logged in.
func (p Principal) IsAnonymous() bool { return p.AccountID == "" && !p.system }

// IsSystem reports whether the operator acts from the command line.
func (p Principal) IsSystem() bool { return p.system }

// IsAdmin reports whether p may administer the instance.
func (p Principal) IsAdmin() bool { return p.Admin }
