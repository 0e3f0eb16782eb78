// Command etcd is upstream etcd's own main (go.etcd.io/etcd/v3's main.go),
// built from the go.etcd.io/etcd/server/v3 module served by the Go module proxy.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
