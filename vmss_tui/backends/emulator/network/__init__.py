"""The Microsoft.Network room: virtual networks, public IPs, load balancers, NSGs and scale-set NICs."""
