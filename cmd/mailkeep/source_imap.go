package main

import (
	"github.com/mailkeep/mailkeep/config"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/fetch/imap"
)

func init() {
	sourceFactories[config.IMAP] = func(a fetch.Account) fetch.Source { return imap.New(a, imap.Options{}) }
}
