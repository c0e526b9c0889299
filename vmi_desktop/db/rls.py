"""PostgreSQL roles and row-level security: their names, the migration's ownership hand-over, a catalog check.

The policies themselves are created by migration ``0005_users_and_rls`` (read its docstring); this module
holds what runs around every migration and what the app and the tests ask of the catalog:

- ``prepare_migration`` / ``finish_migration`` wrap a ``db upgrade``: the migrating login (the database
  owner or a superuser) may act as ``vmi_owner`` only inside that transaction; afterwards every object is
  owned by ``vmi_owner`` (a role that cannot log in), every table has row-level security forced (a table
  a later migration added without policies is staff-only until that migration says otherwise) and only
  the app's group roles may connect to the database;
- ``reads_as_supplier`` says whether a session is a supplier's own login, for which the functions of
  migration 0015 (``own_stock_levels``, ``own_movements``) read its pairs' stock and movements without a
  policy probe per row;
- ``catalog_problems`` lists what would let a login around the policies (a table without FORCE ROW LEVEL
  SECURITY, an app role with BYPASSRLS, a view without ``security_invoker``, an object owned by a login,
  a security-definer function without a pinned ``search_path``, a ledger privilege beyond INSERT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Integer, column, func, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TableValuedAlias

from vmi_desktop.models import Role, StockMovement
from vmi_desktop.models.base import Quantity

OWNER = "vmi_owner"
USERADMIN = "vmi_useradmin"
MANAGER = "vmi_manager"
LEAD = "vmi_lead"
SUPPLIER = "vmi_supplier"
GROUPS = (MANAGER, LEAD, SUPPLIER)
APP_ROLES = (OWNER, USERADMIN, *GROUPS)
#: The group role whose privileges a user of each app role gets.
GROUP_OF_ROLE = {Role.PARTS_MANAGER: MANAGER, Role.WAREHOUSE_LEAD: LEAD, Role.SUPPLIER: SUPPLIER}
LEDGER_TABLES = ("stock_movements", "audit_entries")
#: Role names the app never gives to a user (PostgreSQL's own, and ours).
RESERVED_PREFIXES = ("pg_", "vmi_")


@dataclass
class MigrationState:
    """What ``prepare_migration`` found, so that ``finish_migration`` gives back exactly what it took."""

    superuser: bool
    held_before: set[str] = field(default_factory=set)


def _role_exists(conn: Connection, role: str) -> bool:
    return conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}) is not None


def is_superuser(conn: Connection) -> bool:
    """Whether the session's login is a superuser (it bypasses row-level security)."""
    return bool(conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = session_user")))


def database_owner(conn: Connection) -> str:
    """The login owning the current database."""
    return str(conn.scalar(text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")))


def may_upgrade(conn: Connection) -> bool:
    """Whether this login may change the schema: the database's owner or a superuser."""
    return is_superuser(conn) or conn.scalar(text("SELECT session_user")) == database_owner(conn)


def has_rls(conn: Connection) -> bool:
    """Whether migration 0005 (roles, policies, the session functions) is in this database."""
    return (
        conn.scalar(
            text(
                "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' AND p.proname = 'vmi_session_role'"
            )
        )
        is not None
    )


def reads_as_supplier(session: Session, vendor_id: int) -> bool:
    """Whether this session's login is an active supplier user of ``vendor_id`` (PostgreSQL): then
    ``vmi_own_movements`` and ``vmi_own_stock_levels`` return exactly the rows its policies let it read.

    Asked of the database, not inferred from the actor: a parts manager's preview of that supplier runs
    on the manager's login, where the functions return nothing."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return session.scalar(text("SELECT public.vmi_session_vendor()")) == vendor_id


def own_stock_levels() -> TableValuedAlias:
    """``vmi_own_stock_levels()`` in a FROM: the caller's stock rows (``sku_id``, ``location_id``, ``on_hand``)."""
    columns = (column("sku_id", Integer), column("location_id", Integer), column("on_hand", Quantity))
    return func.vmi_own_stock_levels().table_valued(*columns).alias("own_levels")


def own_movements(start: datetime, end: datetime) -> TableValuedAlias:
    """``vmi_own_movements(start, end)`` in a FROM: the caller's movements of the period (``sku_id``,
    ``location_id``, ``kind``, ``quantity``, ``on_hand_after``), typed as the ledger's own columns."""
    columns = (
        column("sku_id", Integer),
        column("location_id", Integer),
        column("kind", StockMovement.__table__.c.kind.type),
        column("quantity", Quantity),
        column("on_hand_after", Quantity),
    )
    return func.vmi_own_movements(start, end).table_valued(*columns).alias("own_movements")


def prepare_migration(conn: Connection) -> MigrationState | None:
    """Let the migrating login act as the owner roles for this transaction (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return None
    state = MigrationState(superuser=is_superuser(conn))
    for role in (OWNER, USERADMIN):
        if not _role_exists(conn, role):
            continue
        if conn.scalar(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": role}):
            state.held_before.add(role)
        elif not state.superuser:
            conn.execute(text(f"GRANT {role} TO CURRENT_USER"))
    return state


def finish_migration(conn: Connection, state: MigrationState | None) -> None:
    """Hand every object to ``vmi_owner``, secure new tables, restrict CONNECT, give back the owner roles."""
    if state is None:
        return
    if has_rls(conn):
        adopt_objects(conn)
        secure_new_tables(conn)
        ensure_database_access(conn)
    if not state.superuser:
        for role in (OWNER, USERADMIN):
            taken = role not in state.held_before and _role_exists(conn, role)
            if taken and conn.scalar(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": role}):
                conn.execute(text(f"REVOKE {role} FROM CURRENT_USER"))


_ADOPT = f"""
DO $$ DECLARE r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
               AND c.relowner <> '{OWNER}'::regrole LOOP
        EXECUTE format('ALTER %s %s OWNER TO {OWNER}',
                       CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.name);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'S' AND c.relowner <> '{OWNER}'::regrole
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO {OWNER}', r.name);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND p.proowner NOT IN ('{OWNER}'::regrole, '{USERADMIN}'::regrole) LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO {OWNER}', r.name);
    END LOOP;
END $$
"""


def adopt_objects(conn: Connection) -> None:
    """Every table, view, sequence and function of the schema owned by ``vmi_owner`` (which cannot log in)."""
    conn.execute(text(_ADOPT))


def secure_new_tables(conn: Connection) -> None:
    """Tables without any policy (added by a later migration): RLS forced, staff only, until told otherwise."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)"
        )
    ).all()
    staff = "(SELECT public.vmi_session_role()) IN ('parts_manager', 'warehouse_lead')"
    for (table,) in rows:
        conn.execute(text(f'ALTER TABLE public."{table}" ENABLE ROW LEVEL SECURITY'))
        conn.execute(text(f'CREATE POLICY vmi_owner_all ON public."{table}" TO {OWNER} USING (true) WITH CHECK (true)'))
        conn.execute(
            text(
                f'CREATE POLICY vmi_staff ON public."{table}" TO {MANAGER}, {LEAD} USING ({staff}) WITH CHECK ({staff})'
            )
        )
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON public."{table}" TO {MANAGER}'))
        conn.execute(text(f'GRANT SELECT ON public."{table}" TO {LEAD}'))
    for (table,) in conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND NOT (c.relrowsecurity AND c.relforcerowsecurity)"
        )
    ).all():
        conn.execute(text(f'ALTER TABLE public."{table}" ENABLE ROW LEVEL SECURITY'))
        conn.execute(text(f'ALTER TABLE public."{table}" FORCE ROW LEVEL SECURITY'))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {MANAGER}, {LEAD}"))


def ensure_database_access(conn: Connection) -> None:
    """Only the app's group roles (and the owner) may connect to this database."""
    name = conn.scalar(text("SELECT current_database()"))
    quoted = '"' + str(name).replace('"', '""') + '"'
    conn.execute(text(f"REVOKE CONNECT, TEMPORARY ON DATABASE {quoted} FROM PUBLIC"))
    conn.execute(text(f"GRANT CONNECT ON DATABASE {quoted} TO {', '.join(GROUPS)}"))


def catalog_problems(conn: Connection) -> list[str]:
    """What would let a login around row-level security; empty when the catalog is as it must be."""
    problems: list[str] = []
    for (table,) in conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND NOT (c.relrowsecurity AND c.relforcerowsecurity) ORDER BY 1"
        )
    ):
        problems.append(f"table {table} does not force row-level security")
    for name, kind, owner in conn.execute(
        text(
            "SELECT c.relname, c.relkind, r.rolname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND r.rolcanlogin ORDER BY 1"
        )
    ):
        problems.append(f"{'table' if kind in ('r', 'p') else 'object'} {name} is owned by the login {owner}")
    for (view,) in conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'v' "
            "AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false) ORDER BY 1"
        )
    ):
        problems.append(f"view {view} is not security_invoker")
    for (role,) in conn.execute(
        text(
            "SELECT DISTINCT r.rolname FROM pg_roles r WHERE (r.rolbypassrls OR r.rolsuper) AND ("
            "r.rolname = ANY(:app) OR EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "WHERE m.member = r.oid AND g.rolname = ANY(:groups))) ORDER BY 1"
        ),
        {"app": list(APP_ROLES), "groups": list(GROUPS)},
    ):
        problems.append(f"app role {role} bypasses row-level security")
    for (role,) in conn.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:app) AND rolcanlogin ORDER BY 1"),
        {"app": list(APP_ROLES)},
    ):
        problems.append(f"group role {role} can log in")
    for (function,) in conn.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.prosecdef AND NOT EXISTS "
            "(SELECT 1 FROM unnest(coalesce(p.proconfig, ARRAY[]::text[])) c WHERE c LIKE 'search_path=%') "
            "ORDER BY 1"
        )
    ):
        problems.append(f"security-definer function {function} does not pin its search_path")
    for table, role, privilege in conn.execute(
        text(
            "SELECT t.table_name, g.rolname, p.privilege_type "
            "FROM (SELECT unnest(CAST(:ledger AS text[])) AS table_name) t CROSS JOIN pg_roles g "
            "CROSS JOIN (VALUES ('UPDATE'), ('DELETE'), ('TRUNCATE')) AS p(privilege_type) "
            "WHERE g.rolname = ANY(:groups) "
            "AND has_table_privilege(g.oid, 'public.' || t.table_name, p.privilege_type) ORDER BY 1, 2, 3"
        ),
        {"ledger": list(LEDGER_TABLES), "groups": list(GROUPS)},
    ):
        problems.append(f"{role} may {privilege} {table} (the ledger and the audit trail are append-only)")
    for table, role in conn.execute(
        text(
            "SELECT c.relname, g.rolname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN pg_roles g WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND g.rolname = ANY(:groups) AND has_table_privilege(g.oid, c.oid, 'TRUNCATE') ORDER BY 1, 2"
        ),
        {"groups": list(GROUPS)},
    ):
        problems.append(f"{role} may TRUNCATE {table}")
    return problems
