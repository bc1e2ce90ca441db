package merchant

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Storage keeps uploaded files under keys of the form
// "{tenant}/{shop}/{file}". Get returns a NotFound core error for a key
// that holds nothing.
type Storage interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// LocalStorage is Storage on the local disk, below Dir.
type LocalStorage struct{ Dir string }

// NewLocalStorage returns storage below dir (usually DataDir/uploads).
func NewLocalStorage(dir string) *LocalStorage { return &LocalStorage{Dir: dir} }

var keySegmentRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// validKey accepts exactly tenant/shop/file made of plain segments, so no
// key can leave the storage directory.
func validKey(key string) bool {
	parts := strings.Split(key, "/")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if !keySegmentRE.MatchString(p) || strings.Contains(p, "..") {
			return false
		}
	}
	return true
}

func (l *LocalStorage) path(key string) (string, error) {
	if !validKey(key) {
		return "", errNotFound
	}
	return filepath.Join(l.Dir, filepath.FromSlash(key)), nil
}

// Put writes data under key atomically.
func (l *LocalStorage) Put(ctx context.Context, key string, data []byte) error {
	p, err := l.path(key)
	if err != nil {
		return fmt.Errorf("store %q: invalid key", key)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), p)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("store %s: %w", key, werr)
	}
	return nil
}

// Get reads key. Returns NotFound when it holds nothing.
func (l *LocalStorage) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotFound
	}
	return b, err
}

// Delete removes key; a missing key is not an error.
func (l *LocalStorage) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// MaxImageBytes is the largest logo or banner accepted.
const MaxImageBytes = 2 << 20

// UploadsPrefix is the tenant-relative path under which uploaded images
// are served (GET /uploads/{shop}/{file}).
const UploadsPrefix = "/uploads/"

var imageTypes = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}

var imageExts = map[string]string{".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp"}

// SetLogo stores data as the logo of shop id and returns its public path
// (tenant-relative, "/uploads/{shop}/logo-….png"). Only PNG, JPEG and WebP
// images of at most MaxImageBytes are accepted; the type is detected from
// the bytes (contentType, if given, must name one of them too) and the
// stored name is random (filename is not used). p needs PermEditProfile in
// the shop's domain.
//
// Returns NotFound or Forbidden as UpdateProfile does; Invalid (field
// "file") for a missing, oversized or non-image file; Conflict for a
// closed shop.
func (s *Service) SetLogo(ctx context.Context, p *identity.Principal, shopID, filename, contentType string, data []byte) (string, error) {
	return s.setImage(ctx, p, shopID, "logo", contentType, data)
}

// SetBanner is SetLogo for the shop's banner.
func (s *Service) SetBanner(ctx context.Context, p *identity.Principal, shopID, filename, contentType string, data []byte) (string, error) {
	return s.setImage(ctx, p, shopID, "banner", contentType, data)
}

func (s *Service) setImage(ctx context.Context, p *identity.Principal, shopID, kind, contentType string, data []byte) (string, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return "", err
	}
	var fe core.FieldErrors
	ext := ""
	switch {
	case len(data) == 0:
		fe.Add("file", "merchant.field.image_empty")
	case len(data) > MaxImageBytes:
		fe.Add("file", "merchant.field.image_size")
	default:
		detected, _, _ := strings.Cut(http.DetectContentType(data), ";")
		declared, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
		ext = imageTypes[detected]
		if ext == "" || (declared != "" && declared != "application/octet-stream" && imageTypes[declared] == "") {
			fe.Add("file", "merchant.field.image_type")
		}
	}
	var public, old string
	err = s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID, PermEditProfile)
		if err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if sh.Status == ShopClosed {
			return core.Errorf(core.Conflict, "merchant.error.shop_state")
		}
		file := kind + "-" + tenants.NewID() + ext
		key := t.ID + "/" + sh.ID + "/" + file
		if err := s.Storage.Put(ctx, key, data); err != nil {
			return err
		}
		public = UploadsPrefix + sh.ID + "/" + file
		col := kind + "_path"
		if kind == "logo" {
			old, sh.LogoPath = sh.LogoPath, public
		} else {
			old, sh.BannerPath = sh.BannerPath, public
		}
		sh.UpdatedAt = time.Now().UTC()
		if _, err := db.Update(ctx, tx, sh).Column(col, "updated_at").WherePK().Exec(ctx); err != nil {
			_ = s.Storage.Delete(ctx, key)
			return fmt.Errorf("set %s of shop %s: %w", kind, sh.ID, err)
		}
		db.AfterCommit(ctx, func() {
			if rel, ok := strings.CutPrefix(old, UploadsPrefix); ok {
				_ = s.Storage.Delete(context.WithoutCancel(ctx), t.ID+"/"+rel)
			}
		})
		return nil
	})
	if err != nil {
		return "", err
	}
	return public, nil
}

// Upload returns an uploaded image of the tenant in ctx by its public path
// below UploadsPrefix ("{shop}/{file}") and its content type. Returns
// NotFound for anything else, including other tenants' files.
func (s *Service) Upload(ctx context.Context, rel string) ([]byte, string, error) {
	t := tenants.MustFromContext(ctx)
	rel = strings.TrimPrefix(rel, UploadsPrefix)
	ctype := imageExts[path.Ext(rel)]
	key := t.ID + "/" + rel
	if ctype == "" || !validKey(key) {
		return nil, "", errNotFound
	}
	b, err := s.Storage.Get(ctx, key)
	if err != nil {
		return nil, "", err
	}
	return b, ctype, nil
}
