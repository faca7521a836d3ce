package signature

import (
	"net/http"
	"net/textproto"
	"strings"
)

// RestoreAdaptedRequest returns a copy of r, a request converted from
// fasthttp by Fiber's net/http adaptor (adaptor.HTTPHandler,
// adaptor.ConvertRequest, both fasthttpadaptor.ConvertRequest underneath),
// in the shape a net/http server gives, which Verify expects. The adaptor
// keeps the method, the raw request target (path and query) and the body,
// but:
//
//   - r.Host is lower-cased (fasthttp's URI host), while the client signed
//     the Host header as sent: the raw Host header, which the adaptor leaves
//     in r.Header, is restored into r.Host when the two differ only by case;
//   - r.Header holds a "Host" entry, which net/http never does: it is
//     removed;
//   - a header sent on several lines keeps only its last line. That cannot
//     be undone from r; from a Fiber handler, pass
//     c.Request().Header.VisitAll as visitAll and the header map is rebuilt
//     from the fasthttp request, every line kept in order. With nil, the
//     map is kept as the adaptor made it;
//   - every string of r aliases fasthttp buffers that are reused for the
//     next request on the connection once the handler returns (Fiber's
//     Immutable setting does not cover the adaptor): the copy owns its
//     strings, so what the inbox keeps from it (for a queued job, say)
//     stays intact. r.Body still reads fasthttp's buffer: read it within
//     the handler.
func RestoreAdaptedRequest(r *http.Request, visitAll func(func(key, value []byte))) *http.Request {
	r2 := new(http.Request)
	*r2 = *r // as Request.WithContext does; the context is kept
	r2.Method = strings.Clone(r.Method)
	r2.Proto = strings.Clone(r.Proto)
	r2.RequestURI = strings.Clone(r.RequestURI)
	r2.RemoteAddr = strings.Clone(r.RemoteAddr)
	if r.URL != nil {
		u := *r.URL
		u.Scheme = strings.Clone(u.Scheme)
		u.Opaque = strings.Clone(u.Opaque)
		u.Host = strings.Clone(u.Host)
		u.Path = strings.Clone(u.Path)
		u.RawPath = strings.Clone(u.RawPath)
		u.RawQuery = strings.Clone(u.RawQuery)
		u.Fragment = strings.Clone(u.Fragment)
		u.RawFragment = strings.Clone(u.RawFragment)
		u.User = nil // never set on a server request; not worth a deep copy
		r2.URL = &u
	}

	var rawHost []string
	if visitAll != nil {
		h := make(http.Header, len(r.Header))
		visitAll(func(k, v []byte) {
			key := textproto.CanonicalMIMEHeaderKey(string(k))
			if key == "Transfer-Encoding" { // net/http keeps it out of Header too
				return
			}
			h[key] = append(h[key], string(v))
		})
		rawHost = h["Host"]
		r2.Header = h
	} else {
		r2.Header = make(http.Header, len(r.Header))
		for k, vs := range r.Header {
			cp := make([]string, len(vs))
			for i, v := range vs {
				cp[i] = strings.Clone(v)
			}
			r2.Header[strings.Clone(k)] = cp
		}
		rawHost = r2.Header["Host"]
	}
	delete(r2.Header, "Host")

	r2.Host = strings.Clone(r.Host)
	if len(rawHost) == 1 && (r.Host == "" || strings.EqualFold(rawHost[0], r.Host)) {
		r2.Host = rawHost[0]
	}
	if r.TransferEncoding != nil {
		r2.TransferEncoding = make([]string, len(r.TransferEncoding))
		for i, v := range r.TransferEncoding {
			r2.TransferEncoding[i] = strings.Clone(v)
		}
	}
	return r2
}
