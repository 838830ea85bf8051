package index

import (
	"os"
	"testing"

	"github.com/mailkeep/mailkeep/internal/testbin"
)

// TestMain runs the tests through testbin, which builds the mailkeep
// binary for the benchmark's CLI searches and removes it afterwards.
func TestMain(m *testing.M) { os.Exit(testbin.Main(m, nil)) }
