package inventory

import (
	"context"
	"fmt"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
)

// PublicLot is what a shopper may see of a lot on a product page (二维码追溯):
// where and by whom it was grown, its growing dates, the residue test and
// its best-before. It carries no cost, no internal note, no warehouse and
// no account ids.
type PublicLot struct {
	ID           string `json:"id"`
	SKUID        string `json:"sku_id"`
	Producer     string `json:"producer"`
	Base         string `json:"base,omitempty"`
	SownOn       Date   `json:"sown_on,omitempty"`
	FertilisedOn Date   `json:"fertilised_on,omitempty"`
	PesticideOn  Date   `json:"pesticide_on,omitempty"`
	HarvestedOn  Date   `json:"harvested_on,omitempty"`
	ReceivedOn   Date   `json:"received_on,omitempty"`
	ResidueTest  string `json:"residue_test,omitempty"`
	BestBefore   Date   `json:"best_before"`
}

// MaxPublicLots bounds the lots PublicLots returns per SKU.
const MaxPublicLots = 5

// PublicLots returns, for each of skuIDs, the lots a shopper can buy from
// now (unreserved units on hand, best-before not before today in the
// tenant's zone), in the order they are sold (first in, first out), at
// most MaxPublicLots per SKU. A SKU with none has no entry. Needs no
// principal; ids that are not the tenant's, or not ids at all, simply
// have no lots.
func (s *Service) PublicLots(ctx context.Context, skuIDs []string) (map[string][]PublicLot, error) {
	out := map[string][]PublicLot{}
	var ids []string
	for _, id := range skuIDs {
		if validID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	today := s.today(ctx)
	var lots []*Lot
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		q := db.Select(ctx, tx, &lots).Where("l.sku_id IN (?)", bun.List(ids)).Where("l.on_hand > l.reserved").Order(fifoOrder...)
		if err := sellable(ctx, tx, q, nil, today).Scan(ctx); err != nil {
			return fmt.Errorf("list public lots: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, l := range lots {
		if len(out[l.SKUID]) >= MaxPublicLots {
			continue
		}
		out[l.SKUID] = append(out[l.SKUID], PublicLot{
			ID: l.ID, SKUID: l.SKUID, Producer: l.Producer, Base: l.Base,
			SownOn: l.SownOn, FertilisedOn: l.FertilisedOn, PesticideOn: l.PesticideOn, HarvestedOn: l.HarvestedOn,
			ReceivedOn: l.ReceivedOn, ResidueTest: l.ResidueTest, BestBefore: l.BestBefore,
		})
	}
	return out, nil
}
