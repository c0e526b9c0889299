"""``vmi-desktop supplier-server``: run the reference supplier (VMI Connect v1) for demos and tests."""

from __future__ import annotations

import argparse
import os
import secrets

from vmi_desktop.cli._types import bounded_int


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "supplier-server",
        help="run the reference VMI Connect supplier server",
        description="Serves the supplier side of VMI Connect v1 with its own simple "
        "replenishment. The bearer token comes from --token, VMI_SUPPLIER_SERVER_TOKEN, "
        "or is generated and printed once.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=bounded_int(0, 65535), default=8765, help="port (default 8765; 0 picks a free one)"
    )
    parser.add_argument("--token", help="bearer token clients must send")
    parser.add_argument("--vendor-name", default="Reference Supplier", help="the supplier's name in /v1/health")
    parser.add_argument("--base-path", default="", help="prefix of the contract paths, e.g. /vmi")
    parser.add_argument("--no-auto-ship", action="store_true", help="acknowledge orders but do not ship them")
    parser.add_argument("--no-replenish", action="store_true", help="do not raise orders below min")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.supplier_server import SupplierServer

    token = args.token or os.environ.get("VMI_SUPPLIER_SERVER_TOKEN") or secrets.token_urlsafe(24)
    server = SupplierServer(
        args.host,
        args.port,
        token=token,
        vendor_name=args.vendor_name,
        base_path=args.base_path,
        auto_ship=not args.no_auto_ship,
        replenish=not args.no_replenish,
    )
    print(f"VMI Connect reference supplier {args.vendor_name!r} on {server.url}", flush=True)
    if not args.token and not os.environ.get("VMI_SUPPLIER_SERVER_TOKEN"):
        print(f"bearer token (generated): {token}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
