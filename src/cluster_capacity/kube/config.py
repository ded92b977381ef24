"""Where the cluster comes from: kubeconfig (``--kubeconfig``, ``$KUBECONFIG``, ``~/.kube/config``) or the pod."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from cluster_capacity.errors import ClusterError
from cluster_capacity.kube.client import Kube, RetryPolicy


def connect(
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Kube:
    """A client from ``kubeconfig`` (else ``$KUBECONFIG``, ``~/.kube/config``) or the pod's service account.

    ``context`` picks a kubeconfig context. Missing or invalid configuration is a ``ClusterError`` that says
    which file and what is wrong.
    """
    from kubernetes import client, config

    configuration = client.Configuration()
    source = _kubeconfig_source(kubeconfig)
    try:
        if source is not None:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=source, context=context, client_configuration=configuration, persist_config=False
            )
            where = f"kubeconfig {source}" + (f" (context {context})" if context else "")
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            if context:
                raise ClusterError(f"--context {context} needs a kubeconfig, but none was found")
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            where = "in-cluster service account"
        else:
            raise ClusterError(
                "no cluster configured: no kubeconfig found (tried --kubeconfig, $KUBECONFIG and "
                "~/.kube/config) and not running in a pod; log in with `oc login` or pass --kubeconfig"
            )
    except ClusterError:
        raise
    except Exception as exc:  # the loader raises ConfigException, OSError, YAML and type errors alike
        what = f"kubeconfig {source}" if source else "in-cluster configuration"
        detail = str(exc).strip() or type(exc).__name__
        if isinstance(
            exc, TypeError | AttributeError
        ):  # the loader walked something that is not a kubeconfig
            detail = "not a kubeconfig file (expected a YAML mapping with clusters, users and contexts)"
        raise ClusterError(f"cannot use {what}: {detail}") from exc
    # Retries are ours (bounded, with backoff and clear errors); urllib3 must not retry behind our back.
    configuration.retries = False
    return Kube(client.ApiClient(configuration), retry=retry, sleep=sleep, where=where)


def _kubeconfig_source(kubeconfig: str | Path | None) -> str | None:
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise ClusterError(f"kubeconfig {path} does not exist")
        return str(path)
    env = os.environ.get("KUBECONFIG", "")
    paths = [p for p in env.split(os.pathsep) if p]
    existing = [p for p in paths if Path(p).expanduser().is_file()]
    if paths and not existing:
        raise ClusterError(f"KUBECONFIG names no existing file: {env}")
    if existing:
        return os.pathsep.join(existing)
    default = Path("~/.kube/config").expanduser()
    return str(default) if default.is_file() else None
