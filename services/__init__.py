"""The portal's services. Importing the package tells kit how to build the portal's bus topology
registry (services/topology.py), since kit never imports services."""

from kit import topology as _topology


def _portal_topology() -> _topology.Topology:
    from services.topology import portal_topology

    return portal_topology()


_topology.register_portal(_portal_topology)
