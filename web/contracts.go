package web

import (
	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

func (s *Server) contractRoutes() []Route {
	st := s.apiStore()
	return linkedAPI[core.Contract, core.ContractUpdate]{
		noun: "contracts", obj: authz.Contracts,
		create: st.CreateContract, get: st.Contract, list: st.Contracts, update: st.UpdateContract, del: st.DeleteContract,
	}.routes(s)
}
