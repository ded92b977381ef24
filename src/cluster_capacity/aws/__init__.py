"""AWS: the one client that talks to EC2 and Service Quotas, the snapshot it fills, and planning over it.

- ``client``: ``Aws`` (boto3, adaptive retries, every fault translated) and ``fetch_snapshot``;
- ``snapshot``: what AWS said (quotas, instances, catalog, offerings, Spot prices), saved and loaded;
- ``plan``: which instance type, how many replicas (pure);
- ``quota``: whether an env's pools fit their quotas (pure).

Importing this package loads nothing: boto3 is imported only by ``client``, inside its functions.
"""
