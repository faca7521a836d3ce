package server

// resourceRoutes registers the pages and API of resources.
func (s *Server) resourceRoutes() {}
