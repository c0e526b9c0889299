"""users are database logins; row-level security on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Both engines: ``users.db_login`` (the PostgreSQL login that is the user, unique), and two audit
columns: ``login`` (the authenticated identity behind an entry) and ``vendor_id`` (the vendor a
supplier's entry belongs to).

PostgreSQL only, so that a supplier login reads and changes its own vendor's rows through any SQL at
all (psql included), not only through the app:

- group roles that cannot log in: ``vmi_owner`` owns every table, sequence and function (the env's
  epilogue hands them over), ``vmi_manager`` / ``vmi_lead`` / ``vmi_supplier`` carry the privileges of
  the three app roles, ``vmi_useradmin`` (CREATEROLE) owns the one function that creates and changes
  app logins. None of them has BYPASSRLS.
- every table ENABLE and FORCE ROW LEVEL SECURITY. Policies: the owner sees everything (migrations);
  staff logins see everything while their ``users`` row is an active parts manager or warehouse lead;
  a supplier login sees only the rows of its own vendor's active agreements, the vendor found from
  ``session_user`` by a security-definer function (never from a setting a client could change).
- GRANTs: a warehouse lead reads everything and posts ledger entries, receipts and sync results, but
  cannot change thresholds, agreements, vendors, SKUs, locations or users; nobody but the owner may
  UPDATE, DELETE or TRUNCATE the stock ledger and the audit trail (a TRUNCATE trigger refuses it too).
- security-definer functions, each with a pinned ``search_path`` and its own check of who calls:
  ``vmi_session_user/role/vendor`` (the caller's own user row), ``vmi_claim_first_manager`` (the
  database owner or a superuser on an empty users table), ``vmi_sync_login`` (a parts manager makes a
  login match its ``users`` row: created, password, group, disabled), ``vmi_reserve_numbers`` (order
  numbers for suppliers, who have no access to the counters) and ``vmi_open_on_order`` (the position a
  supplier's order is checked against, all vendors' open orders summed, only for the caller's pairs).
- an audit trigger stamps ``login`` with ``session_user``.

Tables that later migrations add are secured by ``vmi_desktop.db.rls.finish_migration`` (owner,
RLS, staff-only policy) until their migration gives suppliers anything.

Written for and tested on PostgreSQL 15, where a CREATEROLE login (the database owner running
``db upgrade``) may grant itself the owner roles for the migration's transaction. From PostgreSQL 16 a
CREATEROLE login administers only the roles it created: run the first ``db upgrade`` of a cluster as a
superuser, or as the login that later upgrades.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = "vmi_owner"
USERADMIN = "vmi_useradmin"
MANAGER = "vmi_manager"
LEAD = "vmi_lead"
SUPPLIER = "vmi_supplier"
GROUPS = (MANAGER, LEAD, SUPPLIER)

#: Order statuses that count as open (``vmi_desktop.order_status.OPEN`` at this revision; a test compares).
OPEN_STATUSES = ("draft", "awaiting_approval", "sent", "acknowledged", "partly_shipped", "shipped", "partly_received")

LEDGER = ("stock_movements", "audit_entries")

#: Vendor columns a supplier login may read (not how the customer reaches and authenticates to it).
VENDOR_PUBLIC_COLUMNS = (
    "id",
    "code",
    "name",
    "contact_name",
    "contact_email",
    "contact_phone",
    "connection_kind",
    "customer_id",
    "sync_interval_s",
    "active",
    "version",
    "updated_at",
    "updated_by",
)
#: SKU columns a supplier login may read (the customer's own unit cost is left out: it may be another
#: vendor's price).
SKU_PUBLIC_COLUMNS = (
    "id",
    "part_number",
    "description",
    "uom",
    "criticality",
    "active",
    "version",
    "updated_at",
    "updated_by",
)

V = "(SELECT public.vmi_session_vendor())"
STAFF = "(SELECT public.vmi_session_role()) IN ('parts_manager', 'warehouse_lead')"


def _agreement(sku: str | None, location: str | None) -> str:
    conds = [f"a.vendor_id = {V}", "a.active"]
    if sku:
        conds.append(f"a.sku_id = {sku}")
    if location:
        conds.append(f"a.location_id = {location}")
    return f"EXISTS (SELECT 1 FROM public.supply_agreements a WHERE {' AND '.join(conds)})"


def _own_order(order_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM public.purchase_orders o WHERE o.id = {order_id} AND o.vendor_id = {V})"


#: What a supplier login sees of each table (USING) and, where it may write, what it may write (CHECK).
SUPPLIER_ROWS: dict[str, tuple[str, str | None]] = {
    "vendors": (f"id = {V}", None),
    "supply_agreements": (f"vendor_id = {V} AND active", None),
    "skus": (_agreement("skus.id", None), None),
    "locations": (_agreement(None, "locations.id"), None),
    "units_of_measure": ("true", None),
    "stock_levels": (_agreement("stock_levels.sku_id", "stock_levels.location_id"), None),
    "stock_movements": (_agreement("stock_movements.sku_id", "stock_movements.location_id"), None),
    "cycle_counts": (_agreement("cycle_counts.sku_id", "cycle_counts.location_id"), None),
    "purchase_orders": (f"vendor_id = {V}", f"vendor_id = {V}"),
    "purchase_order_lines": (
        _own_order("purchase_order_lines.purchase_order_id"),
        _own_order("purchase_order_lines.purchase_order_id")
        + " AND EXISTS (SELECT 1 FROM public.purchase_orders o JOIN public.supply_agreements a"
        f" ON a.location_id = o.location_id WHERE o.id = purchase_order_lines.purchase_order_id"
        f" AND a.sku_id = purchase_order_lines.sku_id AND a.vendor_id = {V} AND a.active)",
    ),
    "po_status_history": (
        _own_order("po_status_history.purchase_order_id"),
        _own_order("po_status_history.purchase_order_id"),
    ),
    "receipts": (_own_order("receipts.purchase_order_id"), None),
    "shipments": (f"vendor_id = {V}", f"vendor_id = {V} AND " + _own_order("shipments.purchase_order_id")),
    "alerts": (f"vendor_id = {V}", f"vendor_id = {V}"),
    "threshold_proposals": (
        f"EXISTS (SELECT 1 FROM public.supply_agreements a WHERE a.id = threshold_proposals.agreement_id"
        f" AND a.vendor_id = {V} AND a.active)",
        f"EXISTS (SELECT 1 FROM public.supply_agreements a WHERE a.id = threshold_proposals.agreement_id"
        f" AND a.vendor_id = {V} AND a.active)",
    ),
    "outbox_messages": (f"vendor_id = {V}", None),
    "exchange_files": (f"vendor_id = {V}", None),
    "inbox_events": (f"vendor_id = {V}", None),
    "audit_entries": (f"vendor_id = {V}", f"vendor_id = {V}"),
}

#: What a supplier login may do beyond reading the rows above.
SUPPLIER_WRITES: dict[str, str] = {
    "purchase_orders": "INSERT, UPDATE",
    "purchase_order_lines": "INSERT, UPDATE",
    "po_status_history": "INSERT",
    "shipments": "INSERT",
    "alerts": "INSERT, UPDATE",
    "threshold_proposals": "INSERT",
    "audit_entries": "INSERT",
}

#: What a warehouse lead may do beyond reading every table: the ledger, receipts, alerts and sync.
LEAD_WRITES: dict[str, str] = {
    "stock_movements": "INSERT",
    "stock_levels": "INSERT, UPDATE",
    "cycle_counts": "INSERT",
    "receipts": "INSERT",
    "purchase_orders": "INSERT, UPDATE",
    "purchase_order_lines": "INSERT, UPDATE",
    "po_status_history": "INSERT",
    "shipments": "INSERT",
    "threshold_proposals": "INSERT",
    "alerts": "INSERT, UPDATE",
    "outbox_messages": "INSERT, UPDATE",
    "inbox_events": "INSERT",
    "sync_state": "INSERT, UPDATE",
    "exchange_files": "INSERT, UPDATE",
    "counters": "INSERT, UPDATE",
    "audit_entries": "INSERT",
}


def upgrade() -> None:
    op.add_column("users", sa.Column("db_login", sa.String(length=63), nullable=True))
    op.create_index("uq_users_db_login", "users", ["db_login"], unique=True)
    op.add_column("audit_entries", sa.Column("login", sa.String(length=100), server_default="", nullable=False))
    op.add_column("audit_entries", sa.Column("vendor_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_entries_vendor_id", "audit_entries", ["vendor_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _roles()
        _functions()
        _row_level_security()
        _grants()
        _ledger_guards()


def _roles() -> None:
    """The group roles (cluster-wide, created once), and the migrating login's temporary memberships."""
    creates = "\n".join(
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN CREATE ROLE {name} {attrs}; END IF;"
        for name, attrs in (
            (OWNER, "NOLOGIN NOINHERIT"),
            (USERADMIN, "NOLOGIN NOINHERIT CREATEROLE"),
            (MANAGER, "NOLOGIN"),
            (LEAD, "NOLOGIN"),
            (SUPPLIER, "NOLOGIN"),
        )
    )
    op.execute(f"DO $$ BEGIN {creates} END $$")
    # Ownership is handed over to these two by the migrating login, which must be able to SET ROLE to
    # them meanwhile; vmi_desktop.db.rls.finish_migration revokes what it did not hold before.
    op.execute(
        f"""DO $$ BEGIN
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            GRANT {OWNER}, {USERADMIN} TO CURRENT_USER;
        END IF;
        END $$"""
    )
    # the new owners must be able to create in the schema (PostgreSQL 15 lets only its owner do that)
    op.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {OWNER}, {USERADMIN}")
    # Signalling backends lets disabling a user end its open sessions; optional (needs a superuser).
    op.execute(
        f"""DO $$ BEGIN
        GRANT pg_signal_backend TO {USERADMIN};
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'vmi_useradmin cannot end sessions of disabled users (grant pg_signal_backend as a superuser)';
        END $$"""
    )
    # The owner of the database is its first parts manager: it needs the managers' privileges.
    op.execute(
        f"""DO $$ DECLARE owner name;
        BEGIN
            SELECT pg_get_userbyid(datdba) INTO owner FROM pg_database WHERE datname = current_database();
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = owner) THEN
                EXECUTE format('GRANT {MANAGER} TO %I', owner);
            END IF;
        END $$"""
    )


def _definer(name: str, signature: str, body: str, *, returns: str, language: str, owner: str = OWNER) -> None:
    op.execute(
        f"CREATE OR REPLACE FUNCTION public.{name}({signature}) RETURNS {returns} LANGUAGE {language} "
        f"SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$ {body} $fn$"
    )
    arguments = ", ".join(part.split()[-1] for part in signature.split(",")) if signature else ""
    op.execute(f"ALTER FUNCTION public.{name}({arguments}) OWNER TO {owner}")
    op.execute(f"REVOKE ALL ON FUNCTION public.{name}({arguments}) FROM PUBLIC")


def _functions() -> None:
    _definer(
        "vmi_session_user",
        "",
        "SELECT u.id, u.username, u.display_name, u.role, u.vendor_id, u.active "
        "FROM public.users u WHERE u.db_login = session_user",
        returns="TABLE (id integer, username varchar, display_name varchar, role varchar, vendor_id integer, "
        "active boolean)",
        language="sql STABLE",
    )
    _definer(
        "vmi_session_role",
        "",
        "SELECT u.role FROM public.users u WHERE u.db_login = session_user AND u.active",
        returns="varchar",
        language="sql STABLE",
    )
    _definer(
        "vmi_session_vendor",
        "",
        "SELECT u.vendor_id FROM public.users u WHERE u.db_login = session_user AND u.active AND u.role = 'supplier'",
        returns="integer",
        language="sql STABLE",
    )
    _definer(
        "vmi_claim_first_manager",
        "p_display text",
        """DECLARE new_id integer; owner name; is_super boolean;
        BEGIN
            SELECT pg_get_userbyid(datdba) INTO owner FROM pg_database WHERE datname = current_database();
            SELECT rolsuper INTO is_super FROM pg_roles WHERE rolname = session_user;
            IF EXISTS (SELECT 1 FROM public.users) THEN
                RETURN NULL;
            END IF;
            IF NOT is_super AND session_user <> owner THEN
                RAISE EXCEPTION 'only the owner of this database (%) or a superuser becomes its first parts manager',
                    owner USING ERRCODE = 'insufficient_privilege';
            END IF;
            LOCK TABLE public.users IN EXCLUSIVE MODE;
            IF EXISTS (SELECT 1 FROM public.users) THEN
                RETURN NULL;  -- not the first: a parts manager has to add this login
            END IF;
            INSERT INTO public.users (username, display_name, role, vendor_id, active, db_login, version,
                                      updated_at, updated_by)
            VALUES (session_user, coalesce(nullif(p_display, ''), session_user), 'parts_manager', NULL, true,
                    session_user, 1, now(), 'system')
            RETURNING id INTO new_id;
            RETURN new_id;
        END""",
        returns="integer",
        language="plpgsql",
    )
    _definer(
        "vmi_sync_login",
        "p_login text, p_password text",
        f"""DECLARE u record; marker text; found_role record; wanted text; g text;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM public.users c
                           WHERE c.db_login = session_user AND c.active AND c.role = 'parts_manager') THEN
                RAISE EXCEPTION 'only an active parts manager of this database manages its users'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF p_login = session_user THEN
                RAISE EXCEPTION 'a parts manager does not change their own login here'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT * INTO u FROM public.users WHERE db_login = p_login;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'no user of this database has the login %', p_login USING ERRCODE = '22023';
            END IF;
            marker := 'vmi-desktop login of database ' ||
                (SELECT oid FROM pg_database WHERE datname = current_database())::text;
            SELECT oid, rolsuper, rolcreaterole, rolbypassrls, rolreplication INTO found_role
                FROM pg_roles WHERE rolname = p_login;
            IF FOUND THEN
                IF coalesce(shobj_description(found_role.oid, 'pg_authid'), '') <> marker
                   OR found_role.rolsuper OR found_role.rolcreaterole OR found_role.rolbypassrls
                   OR found_role.rolreplication THEN
                    RAISE EXCEPTION 'a PostgreSQL login named % already exists on this server and was not made by '
                        'this database; choose another user name', p_login USING ERRCODE = 'duplicate_object';
                END IF;
                IF p_password IS NOT NULL THEN
                    EXECUTE format('ALTER ROLE %I PASSWORD %L', p_login, p_password);
                END IF;
            ELSE
                IF p_password IS NULL OR p_password = '' THEN
                    RAISE EXCEPTION 'a new login needs a password' USING ERRCODE = '22023';
                END IF;
                EXECUTE format('CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
                               'NOBYPASSRLS PASSWORD %L', p_login, p_password);
                EXECUTE format('COMMENT ON ROLE %I IS %L', p_login, marker);
            END IF;
            wanted := CASE u.role WHEN 'parts_manager' THEN '{MANAGER}' WHEN 'warehouse_lead' THEN '{LEAD}'
                                  WHEN 'supplier' THEN '{SUPPLIER}' END;
            FOREACH g IN ARRAY ARRAY['{MANAGER}', '{LEAD}', '{SUPPLIER}'] LOOP
                IF (g <> wanted OR NOT u.active) AND EXISTS (
                    SELECT 1 FROM pg_auth_members m
                    WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = g)
                      AND m.member = (SELECT oid FROM pg_roles WHERE rolname = p_login)) THEN
                    EXECUTE format('REVOKE %I FROM %I', g, p_login);
                END IF;
            END LOOP;
            IF u.active THEN
                EXECUTE format('GRANT %I TO %I', wanted, p_login);
                EXECUTE format('ALTER ROLE %I LOGIN', p_login);
            ELSE
                EXECUTE format('ALTER ROLE %I NOLOGIN', p_login);
                BEGIN
                    PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE usename = p_login AND pid <> pg_backend_pid();
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE NOTICE 'open sessions of % keep running without any privileges', p_login;
                END;
            END IF;
        END""",
        returns="void",
        language="plpgsql",
        owner=USERADMIN,
    )
    _definer(
        "vmi_reserve_numbers",
        "p_name text, p_count integer",
        """DECLARE last integer;
        BEGIN
            IF p_count IS NULL OR p_count < 1 OR p_count > 1000000 THEN
                RAISE EXCEPTION 'a number reservation is for 1 to 1000000 numbers' USING ERRCODE = '22023';
            END IF;
            IF NOT (has_table_privilege(session_user, 'public.counters', 'UPDATE')
                    OR (p_name = 'purchase_order' AND public.vmi_session_role() = 'supplier')) THEN
                RAISE EXCEPTION 'your login may not take numbers of %', p_name USING ERRCODE = 'insufficient_privilege';
            END IF;
            INSERT INTO public.counters AS c (name, value) VALUES (p_name, p_count)
                ON CONFLICT (name) DO UPDATE SET value = c.value + EXCLUDED.value
                RETURNING c.value INTO last;
            RETURN last;
        END""",
        returns="integer",
        language="plpgsql",
    )
    statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    _definer(
        "vmi_open_on_order",
        "p_sku_ids integer[], p_location_ids integer[]",
        f"""SELECT l.sku_id, o.location_id,
                   sum(greatest(coalesce(l.quantity_acknowledged, l.quantity_ordered) - l.quantity_received, 0))
            FROM public.purchase_order_lines l
            JOIN public.purchase_orders o ON o.id = l.purchase_order_id
            WHERE l.sku_id = ANY (p_sku_ids) AND o.location_id = ANY (p_location_ids)
              AND l.status = 'open' AND o.status IN ({statuses})
              AND (public.vmi_session_role() IN ('parts_manager', 'warehouse_lead')
                   OR (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user)
                   OR EXISTS (SELECT 1 FROM public.supply_agreements a
                              WHERE a.vendor_id = public.vmi_session_vendor() AND a.active
                                AND a.sku_id = l.sku_id AND a.location_id = o.location_id))
            GROUP BY l.sku_id, o.location_id""",
        returns="TABLE (sku_id integer, location_id integer, on_order numeric)",
        language="sql STABLE",
    )
    grants = {
        "vmi_session_user()": "PUBLIC",
        "vmi_session_role()": ", ".join(GROUPS),
        "vmi_session_vendor()": ", ".join(GROUPS),
        "vmi_claim_first_manager(text)": "PUBLIC",
        "vmi_sync_login(text, text)": MANAGER,
        "vmi_reserve_numbers(text, integer)": ", ".join(GROUPS),
        "vmi_open_on_order(integer[], integer[])": ", ".join(GROUPS),
    }
    for function, roles in grants.items():
        op.execute(f"GRANT EXECUTE ON FUNCTION public.{function} TO {roles}")
    # the login function reads users (as vmi_useradmin, under its own policy below)
    op.execute(f"GRANT SELECT ON public.users TO {USERADMIN}")
    op.execute(
        """CREATE OR REPLACE FUNCTION public.audit_entries_stamp_login() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $fn$
        BEGIN NEW.login := session_user; RETURN NEW; END $fn$"""
    )
    op.execute(
        "CREATE TRIGGER audit_entries_stamp_login BEFORE INSERT ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION public.audit_entries_stamp_login()"
    )


def _tables() -> list[str]:
    rows = op.get_bind().execute(
        sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        )
    )
    return [r[0] for r in rows]


def _row_level_security() -> None:
    for table in _tables():
        op.execute(f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY vmi_owner_all ON public.{table} TO {OWNER} USING (true) WITH CHECK (true)")
        if table == "alembic_version":
            op.execute(f"CREATE POLICY vmi_read ON public.{table} FOR SELECT TO {', '.join(GROUPS)} USING (true)")
            continue
        op.execute(
            f"CREATE POLICY vmi_staff ON public.{table} TO {MANAGER}, {LEAD} USING ({STAFF}) WITH CHECK ({STAFF})"
        )
        if table in SUPPLIER_ROWS:
            using, check = SUPPLIER_ROWS[table]
            op.execute(
                f"CREATE POLICY vmi_supplier ON public.{table} TO {SUPPLIER} USING ({using}) "
                f"WITH CHECK ({check if check is not None else 'false'})"
            )
    op.execute(f"CREATE POLICY vmi_useradmin_read ON public.users FOR SELECT TO {USERADMIN} USING (true)")


def _grants() -> None:
    tables = _tables()
    everyone = ", ".join(GROUPS)
    for table in tables:
        op.execute(f"REVOKE ALL ON public.{table} FROM PUBLIC")
        if table == "alembic_version":
            op.execute(f"GRANT SELECT ON public.{table} TO {everyone}")
            continue
        if table in LEDGER:
            op.execute(f"GRANT SELECT, INSERT ON public.{table} TO {MANAGER}")
        else:
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON public.{table} TO {MANAGER}")
        op.execute(f"GRANT SELECT ON public.{table} TO {LEAD}")
        if table in LEAD_WRITES:
            op.execute(f"GRANT {LEAD_WRITES[table]} ON public.{table} TO {LEAD}")
        if table == "vendors":
            op.execute(f"GRANT SELECT ({', '.join(VENDOR_PUBLIC_COLUMNS)}) ON public.vendors TO {SUPPLIER}")
        elif table == "skus":
            op.execute(f"GRANT SELECT ({', '.join(SKU_PUBLIC_COLUMNS)}) ON public.skus TO {SUPPLIER}")
        elif table in SUPPLIER_ROWS:
            op.execute(f"GRANT SELECT ON public.{table} TO {SUPPLIER}")
        if table in SUPPLIER_WRITES:
            op.execute(f"GRANT {SUPPLIER_WRITES[table]} ON public.{table} TO {SUPPLIER}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {MANAGER}, {LEAD}")
    for table in SUPPLIER_WRITES:
        op.execute(
            f"""DO $$ DECLARE seq text;
            BEGIN
                seq := pg_get_serial_sequence('public.{table}', 'id');
                IF seq IS NOT NULL THEN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {SUPPLIER}', seq); END IF;
            END $$"""
        )


def _ledger_guards() -> None:
    for table in LEDGER:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in LEDGER:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_stamp_login ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS public.audit_entries_stamp_login()")
        for table in _tables():
            for policy in ("vmi_owner_all", "vmi_read", "vmi_staff", "vmi_supplier", "vmi_useradmin_read"):
                op.execute(f"DROP POLICY IF EXISTS {policy} ON public.{table}")
            op.execute(f"ALTER TABLE public.{table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE public.{table} DISABLE ROW LEVEL SECURITY")
        for function in (
            "vmi_open_on_order(integer[], integer[])",
            "vmi_reserve_numbers(text, integer)",
            "vmi_sync_login(text, text)",
            "vmi_claim_first_manager(text)",
            "vmi_session_vendor()",
            "vmi_session_role()",
            "vmi_session_user()",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS public.{function}")
        # the group roles are cluster-wide and may serve other databases: they stay
    # plain ALTER TABLE DROP COLUMN (SQLite 3.35+): a batch copy would lose the ledger triggers
    op.drop_index("ix_audit_entries_vendor_id", table_name="audit_entries")
    op.drop_column("audit_entries", "vendor_id")
    op.drop_column("audit_entries", "login")
    op.drop_index("uq_users_db_login", table_name="users")
    op.drop_column("users", "db_login")
