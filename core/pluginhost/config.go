package pluginhost

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/i18n"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/tenants"
)

type compiledSchema struct {
	manifest *pluginv1.Manifest
	schema   *jsonschema.Schema
	err      error
}

var schemas sync.Map // plugin name → *compiledSchema

// settingsSchema compiles m's settings schema once per manifest; nil when
// the plugin has none.
func settingsSchema(name string, m *pluginv1.Manifest) (*jsonschema.Schema, error) {
	if v, ok := schemas.Load(name); ok && v.(*compiledSchema).manifest == m {
		c := v.(*compiledSchema)
		return c.schema, c.err
	}
	c := &compiledSchema{manifest: m}
	if raw := m.GetSettingsSchemaJson(); len(raw) > 0 {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err == nil {
			comp := jsonschema.NewCompiler()
			comp.DefaultDraft(jsonschema.Draft2020)
			if err = comp.AddResource("plugin://"+name+"/settings.json", doc); err == nil {
				c.schema, err = comp.Compile("plugin://" + name + "/settings.json")
			}
		}
		if err != nil {
			c.err = fmt.Errorf("plugin %s: settings schema: %w", name, err)
		}
	}
	schemas.Store(name, c)
	return c.schema, c.err
}

// ValidateConfig checks settings for plugin against its manifest's JSON
// schema, then asks the plugin (ValidateConfig) about the rest. Problems
// are an Invalid error with one field error per JSON pointer, in the
// locale of ctx; a plugin that cannot be asked makes it Unavailable.
func (h *Host) ValidateConfig(ctx context.Context, tenantID, plugin, shopID string, cfg []byte) error {
	if h.Supervisor == nil {
		return &core.Error{Code: core.Unavailable, Message: "plugin.unavailable", Args: []any{plugin}}
	}
	m, err := h.Supervisor.Manifest(plugin)
	if err != nil {
		return err
	}
	schema, err := settingsSchema(plugin, m)
	if err != nil {
		return &core.Error{Code: core.Unavailable, Message: "plugin.bad_schema", Args: []any{plugin}, Err: err}
	}
	locale := i18n.FromContext(ctx)
	fields := map[string]string{}
	if schema != nil {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(cfg))
		if err != nil {
			fields[""] = i18n.T(locale, "plugin.config.not_json")
		} else if verr := schema.Validate(doc); verr != nil {
			if ve, ok := verr.(*jsonschema.ValidationError); ok {
				collect(ve, locale, fields)
			} else {
				fields[""] = verr.Error()
			}
		}
	}
	if len(fields) == 0 {
		client, err := h.Supervisor.Client(plugin)
		if err != nil {
			return err
		}
		t, ok := tenants.FromContext(ctx)
		if !ok || t.ID != tenantID {
			t = &tenants.Tenant{ID: tenantID}
		}
		r, err := h.Switches.Resolve(ctx, tenantID, plugin)
		if err != nil {
			return err
		}
		tg := target{name: plugin, client: client, manifest: m, resolved: r, spec: &pluginv1.HookSpec{}}
		var res *pluginv1.ValidateConfigResponse
		err = h.invoke(ctx, tg, 3e9, func(ctx context.Context) error {
			dl, _ := ctx.Deadline()
			var err error
			res, err = client.ValidateConfig(ctx, &pluginv1.ValidateConfigRequest{
				Tenant:     h.tenantContext(plugin, m, r, Call{Tenant: t, ShopID: shopID, Locale: locale}, "validate_config", dl),
				ConfigJson: cfg,
			})
			return err
		})
		if err != nil {
			return &core.Error{Code: core.Unavailable, Message: "plugin.unavailable", Args: []any{plugin}, Err: err}
		}
		for _, fe := range res.GetErrors() {
			msg := fe.GetMessage()
			if msg == "" {
				msg = fe.GetMessageKey()
			}
			fields[fieldName(fe.GetField())] = msg
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &core.Error{Code: core.Invalid, Message: "plugin.config.invalid", Args: []any{plugin}, Fields: fields, Err: ErrInvalidConfig}
}

// fieldName turns a JSON pointer ("/group_size") into the form's field name
// ("group_size"; "" for the whole object).
func fieldName(ptr string) string {
	return strings.ReplaceAll(strings.Trim(ptr, "/"), "/", ".")
}

// collect turns a validation error tree into field errors.
func collect(ve *jsonschema.ValidationError, locale string, out map[string]string) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collect(c, locale, out)
		}
		return
	}
	field := strings.Join(ve.InstanceLocation, ".")
	var msg string
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			f := m
			if field != "" {
				f = field + "." + m
			}
			out[f] = i18n.T(locale, "field.required")
		}
		return
	case *kind.Type:
		msg = i18n.T(locale, "plugin.config.type", strings.Join(k.Want, "/"))
	case *kind.Minimum:
		msg = i18n.T(locale, "plugin.config.min", k.Want.RatString())
	case *kind.Maximum:
		msg = i18n.T(locale, "plugin.config.max", k.Want.RatString())
	case *kind.MinLength:
		msg = i18n.T(locale, "plugin.config.min_length", k.Want)
	case *kind.MaxLength:
		msg = i18n.T(locale, "plugin.config.max_length", k.Want)
	case *kind.Enum:
		msg = i18n.T(locale, "plugin.config.enum")
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			f := p
			if field != "" {
				f = field + "." + p
			}
			out[f] = i18n.T(locale, "plugin.config.unknown")
		}
		return
	default:
		msg = i18n.T(locale, "plugin.config.invalid_value")
	}
	if _, ok := out[field]; !ok {
		out[field] = msg
	}
}
