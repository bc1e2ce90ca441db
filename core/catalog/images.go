package catalog

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

var imageTypes = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}

// imageExt checks an uploaded image and returns its file extension, with
// a field error on "file" for a missing, oversized or non-image file.
func imageExt(fe *core.FieldErrors, contentType string, data []byte) string {
	switch {
	case len(data) == 0:
		fe.Add("file", "merchant.field.image_empty")
	case len(data) > merchant.MaxImageBytes:
		fe.Add("file", "merchant.field.image_size")
	default:
		detected, _, _ := strings.Cut(http.DetectContentType(data), ";")
		declared, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
		ext := imageTypes[detected]
		if ext == "" || (declared != "" && declared != "application/octet-stream" && imageTypes[declared] == "") {
			fe.Add("file", "merchant.field.image_type")
			return ""
		}
		return ext
	}
	return ""
}

// storageKey is the storage key of an image at public path (below
// merchant.UploadsPrefix) of tenant tenantID.
func storageKey(tenantID, public string) string {
	return tenantID + "/" + strings.TrimPrefix(public, merchant.UploadsPrefix)
}

// AddImage stores data as the last image of product productID and
// returns the product with its images; the first image is the cover.
// Only PNG, JPEG and WebP (detected from the bytes) of at most
// merchant.MaxImageBytes are accepted, and at most MaxImages per
// product. The file is stored as {tenant}/{shop}/p-{product}-{image}.{ext}
// and served at /uploads/{shop}/p-{product}-{image}.{ext}.
//
// Returns NotFound or Forbidden as Update; Invalid (field "file") for a
// bad file or one image too many; Conflict for a closed shop.
func (s *Service) AddImage(ctx context.Context, p *identity.Principal, productID, contentType string, data []byte) (*Product, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	ext := imageExt(&fe, contentType, data)
	var out *Product
	var stored string
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pr, sh, err := s.productFor(ctx, tx, p, productID)
		if err != nil {
			return err
		}
		n, err := db.Select(ctx, tx, (*ProductImage)(nil)).Where("pi.product_id = ?", pr.ID).Count(ctx)
		if err != nil {
			return fmt.Errorf("count images of product %s: %w", pr.ID, err)
		}
		if n >= MaxImages {
			fe.Add("file", "catalog.field.image_count")
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if sh.Status == merchant.ShopClosed {
			return errShopClosed
		}
		var last int
		if n > 0 {
			if err := db.Select(ctx, tx, (*ProductImage)(nil)).ColumnExpr("max(pi.sort)").Where("pi.product_id = ?", pr.ID).
				Scan(ctx, &last); err != nil {
				return fmt.Errorf("last image of product %s: %w", pr.ID, err)
			}
			last++
		}
		img := &ProductImage{TenantID: t.ID, ID: tenants.NewID(), ProductID: pr.ID, Sort: last, CreatedAt: time.Now().UTC()}
		img.Path = merchant.UploadsPrefix + sh.ID + "/p-" + pr.ID + "-" + img.ID + ext
		key := storageKey(t.ID, img.Path)
		if err := s.Storage.Put(ctx, key, data); err != nil {
			return fmt.Errorf("store image of product %s: %w", pr.ID, err)
		}
		stored = key
		if _, err := tx.NewInsert().Model(img).Exec(ctx); err != nil {
			return fmt.Errorf("add image to product %s: %w", pr.ID, err)
		}
		if out, err = s.imagesChanged(ctx, tx, pr); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		if stored != "" {
			_ = s.Storage.Delete(context.WithoutCancel(ctx), stored)
		}
		return nil, err
	}
	return out, nil
}

// DeleteImage removes image imageID of product productID (and its file,
// once committed); the next image becomes the cover. Returns NotFound for
// an image of another product, else as AddImage.
func (s *Service) DeleteImage(ctx context.Context, p *identity.Principal, productID, imageID string) (*Product, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	var out *Product
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pr, sh, err := s.productFor(ctx, tx, p, productID)
		if err != nil {
			return err
		}
		if !validID(imageID) {
			return errNotFound
		}
		img := new(ProductImage)
		if err := db.Select(ctx, tx, img).Where("pi.id = ?", imageID).Where("pi.product_id = ?", pr.ID).Scan(ctx); err != nil {
			return db.NotFound(err, errNotFound)
		}
		if sh.Status == merchant.ShopClosed {
			return errShopClosed
		}
		if _, err := db.Delete(ctx, tx, img).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete image %s: %w", img.ID, err)
		}
		if out, err = s.imagesChanged(ctx, tx, pr); err != nil {
			return err
		}
		db.AfterCommit(ctx, func() { _ = s.Storage.Delete(context.WithoutCancel(ctx), storageKey(t.ID, img.Path)) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReorderImages puts the images of product productID in the order of
// imageIDs, which must name each of them exactly once (else Invalid on
// field "image_ids"); the first becomes the cover. Errors as AddImage.
func (s *Service) ReorderImages(ctx context.Context, p *identity.Principal, productID string, imageIDs []string) (*Product, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var out *Product
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pr, sh, err := s.productFor(ctx, tx, p, productID)
		if err != nil {
			return err
		}
		var imgs []*ProductImage
		if err := db.Select(ctx, tx, &imgs).Where("pi.product_id = ?", pr.ID).Scan(ctx); err != nil {
			return fmt.Errorf("load images of product %s: %w", pr.ID, err)
		}
		by := map[string]*ProductImage{}
		for _, img := range imgs {
			by[img.ID] = img
		}
		seen := map[string]bool{}
		ok := len(imageIDs) == len(imgs)
		for _, id := range imageIDs {
			if by[id] == nil || seen[id] {
				ok = false
			}
			seen[id] = true
		}
		if !ok {
			var fe core.FieldErrors
			fe.Add("image_ids", "catalog.field.image_order")
			return fe.Err()
		}
		if sh.Status == merchant.ShopClosed {
			return errShopClosed
		}
		for i, id := range imageIDs {
			img := by[id]
			if img.Sort == i {
				continue
			}
			img.Sort = i
			if _, err := db.Update(ctx, tx, img).Column("sort").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("reorder image %s: %w", id, err)
			}
		}
		out, err = s.imagesChanged(ctx, tx, pr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// imagesChanged makes the first image the cover of pr, runs the change
// hooks and returns the product with its parts.
func (s *Service) imagesChanged(ctx context.Context, tx bun.IDB, pr *Product) (*Product, error) {
	var first []string
	if err := db.Select(ctx, tx, (*ProductImage)(nil)).Column("pi.path").Where("pi.product_id = ?", pr.ID).
		Order("pi.sort", "pi.id").Limit(1).Scan(ctx, &first); err != nil {
		return nil, fmt.Errorf("cover of product %s: %w", pr.ID, err)
	}
	pr.CoverPath = ""
	if len(first) > 0 {
		pr.CoverPath = first[0]
	}
	pr.UpdatedAt = time.Now().UTC()
	if _, err := db.Update(ctx, tx, pr).Column("cover_path", "updated_at").WherePK().Exec(ctx); err != nil {
		return nil, fmt.Errorf("set cover of product %s: %w", pr.ID, err)
	}
	if err := s.coverChanged(ctx, tx, pr.ID, pr.CoverPath); err != nil {
		return nil, err
	}
	return productWithParts(ctx, tx, pr.ID)
}
