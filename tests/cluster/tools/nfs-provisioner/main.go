// Command nfs-provisioner stands in for kubernetes-sigs/nfs-subdir-external-provisioner,
// whose module the Go module proxy refuses to serve (403, see ../../README.md).
//
// It runs the same controller, sig-storage-lib-external-provisioner's ProvisionController,
// takes the same environment (NFS_SERVER, NFS_PATH, PROVISIONER_NAME, ENABLE_LEADER_ELECTION,
// KUBECONFIG) and keeps the same on-disk contract: each volume is a directory
// <namespace>-<pvc>-<pv> (or the class's pathPattern) under /persistentvolumes, where the
// NFS export is expected to be mounted, published as an NFS PersistentVolume at
// NFS_SERVER:NFS_PATH/<directory>. On delete the directory is renamed archived-<directory>,
// unless the class sets onDelete (delete|retain) or archiveOnDelete: "false".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v11/controller"
)

// mountPath is where the provisioner sees the NFS export (hard-coded upstream too).
const mountPath = "/persistentvolumes"

type nfsProvisioner struct {
	client kubernetes.Interface
	server string
	path   string
}

// pvcField matches ${.PVC.namespace}, ${.PVC.name}, ${.PVC.labels.KEY}, ${.PVC.annotations.KEY}.
var pvcField = regexp.MustCompile(`\$\{\.PVC\.([a-z]+)(?:\.([^}]*))?\}`)

func expandPathPattern(pattern string, pvc *v1.PersistentVolumeClaim) string {
	return pvcField.ReplaceAllStringFunc(pattern, func(m string) string {
		g := pvcField.FindStringSubmatch(m)
		switch g[1] {
		case "namespace":
			return pvc.Namespace
		case "name":
			return pvc.Name
		case "labels":
			return pvc.Labels[g[2]]
		case "annotations":
			return pvc.Annotations[g[2]]
		}
		return ""
	})
}

func (p *nfsProvisioner) Provision(ctx context.Context, opts controller.ProvisionOptions) (*v1.PersistentVolume, controller.ProvisioningState, error) {
	pvc := opts.PVC
	if pvc.Spec.Selector != nil {
		return nil, controller.ProvisioningFinished, fmt.Errorf("claim Selector is not supported")
	}
	dir := strings.Join([]string{pvc.Namespace, pvc.Name, opts.PVName}, "-")
	if pattern := opts.StorageClass.Parameters["pathPattern"]; pattern != "" {
		if custom := expandPathPattern(pattern, pvc); custom != "" {
			dir = custom
		}
	}
	local := filepath.Join(mountPath, dir)
	klog.InfoS("creating volume directory", "path", local, "pvc", klog.KObj(pvc))
	if err := os.MkdirAll(local, 0o777); err != nil {
		return nil, controller.ProvisioningFinished, fmt.Errorf("unable to create directory to provision new pv: %w", err)
	}
	if err := os.Chmod(local, 0o777); err != nil {
		return nil, controller.ProvisioningFinished, err
	}
	reclaim := v1.PersistentVolumeReclaimDelete
	if opts.StorageClass.ReclaimPolicy != nil {
		reclaim = *opts.StorageClass.ReclaimPolicy
	}
	return &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: opts.PVName},
		Spec: v1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   pvc.Spec.AccessModes,
			MountOptions:                  opts.StorageClass.MountOptions,
			Capacity:                      v1.ResourceList{v1.ResourceStorage: pvc.Spec.Resources.Requests[v1.ResourceStorage]},
			PersistentVolumeSource: v1.PersistentVolumeSource{
				NFS: &v1.NFSVolumeSource{Server: p.server, Path: filepath.Join(p.path, dir)},
			},
		},
	}, controller.ProvisioningFinished, nil
}

func (p *nfsProvisioner) Delete(ctx context.Context, pv *v1.PersistentVolume) error {
	if pv.Spec.NFS == nil {
		return fmt.Errorf("volume %s is not an NFS volume", pv.Name)
	}
	base := filepath.Base(pv.Spec.NFS.Path)
	local := filepath.Join(mountPath, base)
	if _, err := os.Stat(local); os.IsNotExist(err) {
		klog.InfoS("volume directory does not exist, nothing to delete", "path", local)
		return nil
	}
	class, err := p.client.StorageV1().StorageClasses().Get(ctx, pv.Spec.StorageClassName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	switch class.Parameters["onDelete"] {
	case "delete":
		return os.RemoveAll(local)
	case "retain":
		return nil
	}
	if v, ok := class.Parameters["archiveOnDelete"]; ok {
		archive, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("storage class %s: archiveOnDelete: %w", class.Name, err)
		}
		if !archive {
			return os.RemoveAll(local)
		}
	}
	return os.Rename(local, filepath.Join(mountPath, "archived-"+base))
}

func mustEnv(name string) string {
	v := os.Getenv(name)
	if v == "" {
		klog.Fatalf("environment variable %s is not set", name)
	}
	return v
}

func main() {
	klog.InitFlags(nil)
	flag.Parse()

	server, path, name := mustEnv("NFS_SERVER"), mustEnv("NFS_PATH"), mustEnv("PROVISIONER_NAME")
	leaderElection := true
	if v := os.Getenv("ENABLE_LEADER_ELECTION"); v != "" {
		var err error
		if leaderElection, err = strconv.ParseBool(v); err != nil {
			klog.Fatalf("ENABLE_LEADER_ELECTION: %v", err)
		}
	}

	var config *rest.Config
	var err error
	if kubeconfig := os.Getenv("KUBECONFIG"); kubeconfig != "" {
		config, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	} else {
		config, err = rest.InClusterConfig()
	}
	if err != nil {
		klog.Fatalf("kubernetes client config: %v", err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.Fatalf("kubernetes client: %v", err)
	}

	ctx := context.Background()
	p := &nfsProvisioner{client: client, server: server, path: path}
	klog.InfoS("starting", "provisioner", name, "server", server, "path", path, "leaderElection", leaderElection)
	controller.NewProvisionController(ctx, client, name, p, controller.LeaderElection(leaderElection)).Run(ctx)
}
