package sdk

import (
	"context"
	"os"
	"sync"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// HostCallbackEnv names the environment variable in which the host passes
// the gRPC target of its HostCallback service to the plugin process
// ("unix:///run/jishi/host-1234.sock").
const HostCallbackEnv = "JISHI_HOST_CALLBACK"

// Host returns a client of the host's callback API for calls made while
// serving t. Every request it sends carries t.Capability in its capability
// field unless the request already names one; the caller's message is not
// changed. The host refuses a request whose capability is missing, expired,
// from another call's plugin or short of the method's scope
// (PERMISSION_DENIED), and answers NOT_FOUND for ids of another tenant or
// shop.
//
// The connection is made on the first call, once per process, from
// JISHI_HOST_CALLBACK; when that is unset every call answers UNAVAILABLE
// and the next call tries again.
func Host(t *Tenant) pluginv1.HostCallbackClient {
	var capability string
	if t != nil {
		capability = t.Capability
	}
	return pluginv1.NewHostCallbackClient(capabilityConn{capability: capability})
}

// SetHostConn makes Host use conn instead of dialling JISHI_HOST_CALLBACK.
// nil drops the connection, so the next call dials from the environment
// again. A connection Host dialled itself is closed when it is replaced.
// It exists for tests (sdktest.FakeHost.Use); a plugin never calls it.
func SetHostConn(conn grpc.ClientConnInterface) {
	host.mu.Lock()
	defer host.mu.Unlock()
	if host.dialled != nil {
		_ = host.dialled.Close()
		host.dialled = nil
	}
	host.conn = conn
}

// host is the process's connection to the host's callback service.
var host struct {
	mu      sync.Mutex
	conn    grpc.ClientConnInterface
	dialled *grpc.ClientConn // conn, when Host dialled it itself
}

// hostConn returns the connection to the host, dialling it on first use.
// A failed dial is not remembered: the next call tries again.
func hostConn() (grpc.ClientConnInterface, error) {
	host.mu.Lock()
	defer host.mu.Unlock()
	if host.conn != nil {
		return host.conn, nil
	}
	target := os.Getenv(HostCallbackEnv)
	if target == "" {
		return nil, status.Errorf(codes.Unavailable,
			"host callback: %s is not set: the process was not started by the Jishi host", HostCallbackEnv)
	}
	// The target is a private unix socket the host created for this
	// process: no transport security to negotiate.
	cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "host callback: connect to %s=%q: %v", HostCallbackEnv, target, err)
	}
	host.conn, host.dialled = cc, cc
	return cc, nil
}

// capabilityConn is the process's connection to the host seen from one
// call being served: it puts that call's capability on every request.
type capabilityConn struct{ capability string }

func (c capabilityConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	cc, err := hostConn()
	if err != nil {
		return err
	}
	if m, ok := args.(proto.Message); ok {
		args = withCapability(m, c.capability)
	}
	return cc.Invoke(ctx, method, args, reply, opts...)
}

// NewStream serves no HostCallback method today (all are unary); it is
// passed through so that the type is a grpc.ClientConnInterface.
func (c capabilityConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cc, err := hostConn()
	if err != nil {
		return nil, err
	}
	return cc.NewStream(ctx, desc, method, opts...)
}

// withCapability returns m with its string field "capability" set to
// capability when it is empty: a copy, so that the caller's message stays as
// it was. Messages without such a field are returned as they are.
func withCapability(m proto.Message, capability string) proto.Message {
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("capability")
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.Cardinality() == protoreflect.Repeated {
		return m
	}
	if r.Get(fd).String() != "" || capability == "" {
		return m
	}
	c := proto.Clone(m)
	c.ProtoReflect().Set(fd, protoreflect.ValueOfString(capability))
	return c
}
