package main

import (
	"github.com/mailkeep/mailkeep/config"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/fetch/pop3"
)

func init() {
	sourceFactories[config.POP3] = func(a fetch.Account) fetch.Source { return pop3.NewSource(a) }
}
