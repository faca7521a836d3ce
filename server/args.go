package server

import "github.com/valyala/fasthttp"

// fasthttpArgsCopy copies query arguments, so a handler can build links
// from the request's without changing it.
func fasthttpArgsCopy(a *fasthttp.Args) *fasthttp.Args {
	var c fasthttp.Args
	a.CopyTo(&c)
	return &c
}
