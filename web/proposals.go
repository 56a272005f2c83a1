package web

import (
	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

func (s *Server) proposalRoutes() []Route {
	st := s.apiStore()
	return linkedAPI[core.Proposal, core.ProposalUpdate]{
		noun: "proposals", obj: authz.Proposals,
		create: st.CreateProposal, get: st.Proposal, list: st.Proposals, update: st.UpdateProposal, del: st.DeleteProposal,
	}.routes(s)
}
