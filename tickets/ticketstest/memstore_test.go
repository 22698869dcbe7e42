package ticketstest_test

import (
	"testing"

	"github.com/colombiainformatica/ticketbot/tickets/ticketstest"
)

func TestMemStore(t *testing.T) {
	ticketstest.Run(t, func(*testing.T) ticketstest.Stores { return ticketstest.NewMemStore().Stores() })
}
