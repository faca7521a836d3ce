package federation

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"
)

// blockListTTL is how long a node uses its copy of the instance block
// list before reading it again. Every inbox POST, signed GET, key fetch
// and delivered inbox asks whether a host is blocked: reading the table
// each time was a fifth of a signed GET's cost. A change made on this node
// is seen at once (Block and Unblock drop the copy); one made on another
// node of a cluster within this delay.
const blockListTTL = 2 * time.Second

// blockList is a node's copy of instance_blocks.
type blockList struct {
	mu     sync.Mutex
	hosts  map[string]struct{}
	loaded time.Time
}

// invalidate makes the next question read the table again.
func (b *blockList) invalidate() {
	b.mu.Lock()
	b.loaded = time.Time{}
	b.mu.Unlock()
}

// snapshot returns the blocked hosts, read again when the copy is older
// than blockListTTL. The map returned is never modified.
func (s *Service) blockedHosts(ctx context.Context) (map[string]struct{}, error) {
	b := &s.blocks
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hosts != nil && time.Since(b.loaded) < blockListTTL {
		return b.hosts, nil
	}
	var hosts []string
	if err := s.d.DB.R.NewSelect().TableExpr("instance_blocks").Column("host").Scan(ctx, &hosts); err != nil {
		return nil, err
	}
	m := make(map[string]struct{}, len(hosts))
	for _, h := range hosts {
		m[h] = struct{}{}
	}
	b.hosts, b.loaded = m, time.Now()
	return m, nil
}

// Blocked reports whether a host (host or host:port) is blocked, itself
// or through a parent domain: blocking example.org blocks
// social.example.org. Outgoing delivery asks it too. A block list that
// cannot be read counts as blocking everything: better refuse than let a
// blocked instance in.
func (s *Service) Blocked(ctx context.Context, host string) bool {
	host = strings.ToLower(host)
	if host == "" {
		return false
	}
	blocked, err := s.blockedHosts(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "block list unreadable", "err", err)
		return true
	}
	if len(blocked) == 0 {
		return false
	}
	if _, ok := blocked[host]; ok {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
		if _, ok := blocked[h]; ok {
			return true
		}
	}
	if net.ParseIP(name) != nil {
		return false
	}
	for i := strings.IndexByte(name, '.'); i >= 0 && strings.Contains(name[i+1:], "."); i = strings.IndexByte(name, '.') {
		name = name[i+1:]
		if _, ok := blocked[name]; ok {
			return true
		}
	}
	return false
}
