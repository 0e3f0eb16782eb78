# -*- coding: utf-8 -*-
# Copyright: (c) 2026, stateful.nfs_redis maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options of statefulset_ready.

The module takes kubernetes.core's connection arguments (its AUTH_ARG_SPEC) as they are. This
fragment documents them inside this collection, so that the documentation resolves where
kubernetes.core is not installed (galaxy-importer, Automation Hub, a docs build). The sanity test
validate-modules compares it with the argument spec of the installed kubernetes.core.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  host:
    description:
      - URL of the Kubernetes API server.
      - Read from the environment variable E(K8S_AUTH_HOST) when not given.
    type: str
  api_key:
    description:
      - Bearer token for the API server.
      - Read from E(K8S_AUTH_API_KEY) when not given.
    type: str
  kubeconfig:
    description:
      - Path to a kubeconfig file, or the kubeconfig itself as a dictionary.
      - When neither this nor O(host) is given, the client reads C(~/.kube/config), or the
        in-cluster service account when it runs in a pod.
      - Read from E(K8S_AUTH_KUBECONFIG) when not given.
    type: raw
  context:
    description:
      - The kubeconfig context to use.
      - Read from E(K8S_AUTH_CONTEXT) when not given.
    type: str
  username:
    description:
      - User name for basic authentication, where the API server still accepts it.
      - Read from E(K8S_AUTH_USERNAME) when not given.
    type: str
  password:
    description:
      - Password for basic authentication.
      - Read from E(K8S_AUTH_PASSWORD) when not given.
    type: str
  client_cert:
    description:
      - Path to a client certificate for the API server.
      - Read from E(K8S_AUTH_CERT_FILE) when not given.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert).
      - Read from E(K8S_AUTH_KEY_FILE) when not given.
    type: path
    aliases: [key_file]
  ca_cert:
    description:
      - Path to the certificate authority that signed the API server's certificate.
      - Read from E(K8S_AUTH_SSL_CA_CERT) when not given.
    type: path
    aliases: [ssl_ca_cert]
  validate_certs:
    description:
      - Whether to verify the API server's certificate.
      - Read from E(K8S_AUTH_VERIFY_SSL) when not given.
    type: bool
    aliases: [verify_ssl]
  proxy:
    description:
      - HTTP proxy for the connection to the API server.
      - Read from E(K8S_AUTH_PROXY) when not given.
    type: str
  no_proxy:
    description:
      - Comma-separated hosts, domains, addresses or networks reached without O(proxy).
      - Read from E(K8S_AUTH_NO_PROXY) when not given.
    type: str
  proxy_headers:
    description:
      - Headers sent to O(proxy).
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - C(user:password) for the proxy's basic authentication.
          - Read from E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH) when not given.
        type: str
      basic_auth:
        description:
          - C(user:password) for a basic authentication header.
          - Read from E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH) when not given.
        type: str
      user_agent:
        description:
          - The C(User-Agent) header, such as C(foo/1.0).
          - Read from E(K8S_AUTH_PROXY_HEADERS_USER_AGENT) when not given.
        type: str
  persist_config:
    description:
      - Whether to write refreshed tokens (an OIDC or exec credential plugin) back to the
        kubeconfig file.
      - Read from E(K8S_AUTH_PERSIST_CONFIG) when not given.
    type: bool
  impersonate_user:
    description:
      - User name to act as (the C(Impersonate-User) header).
      - Read from E(K8S_AUTH_IMPERSONATE_USER) when not given.
    type: str
  impersonate_groups:
    description:
      - Groups to act as (C(Impersonate-Group) headers).
      - Read from E(K8S_AUTH_IMPERSONATE_GROUPS) as a comma-separated list when not given.
    type: list
    elements: str
notes:
  - The connection options are those of kubernetes.core's modules and are read the same way.
"""
