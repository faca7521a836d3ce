package server

// discussionRoutes registers the pages and API of discussions.
func (s *Server) discussionRoutes() {}
