"""`CustomerDirectory` on SQL: customers and their channel identities, personal data encrypted."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import InvalidInput, NotFound
from intake.ports import Clock
from intake.records import ChannelName, Customer, Identity, Tier
from storage.crypto import FieldCipher
from storage.sql.dialect import PerDialect
from storage.sql.schema import complaints, customers, identities, messages
from storage.sql.types import as_utc

# The statements of the intake path, built once and executed with parameters (see
# `storage.sql.dialect.PerDialect`); where-clause parameters are named `b_…`.
_BY_ID = select(customers).where(customers.c.id == bindparam("b_id"))
_OWNER = select(identities.c.customer_id).where(
    identities.c.channel == bindparam("b_channel"), identities.c.user_id == bindparam("b_user_id")
)
_BY_UNIONID = select(identities.c.customer_id).where(identities.c.unionid == bindparam("b_unionid")).limit(1)
_BY_PHONE = (
    select(customers)
    .where(customers.c.phone_hash == bindparam("b_phone_hash"))
    .order_by(customers.c.created_at, customers.c.id)
    .limit(1)
)
_IDENTITIES = (
    select(identities)
    .where(identities.c.customer_id == bindparam("b_customer_id"))
    .order_by(identities.c.channel, identities.c.user_id)
)
_INSERT = customers.insert()
_UPDATE = update(customers).where(customers.c.id == bindparam("b_id"))


def _link(insert: Any, *, unionid: bool, display_name: bool) -> Any:
    """The identity upsert; a conflict keeps the stored unionid or display name unless one is given."""
    statement = insert(identities)
    changes: dict[str, Any] = {"customer_id": statement.excluded.customer_id}
    if unionid:
        changes["unionid"] = statement.excluded.unionid
    if display_name:
        changes["display_name_enc"] = statement.excluded.display_name_enc
    returned = (identities.c.channel, identities.c.user_id, identities.c.unionid, identities.c.display_name_enc)
    return statement.on_conflict_do_update(index_elements=["channel", "user_id"], set_=changes).returning(*returned)


_LINKS = {
    (unionid, display_name): PerDialect(partial(_link, unionid=unionid, display_name=display_name))
    for unionid in (False, True)
    for display_name in (False, True)
}


class SqlCustomerDirectory:
    """Customers by id, channel identity, WeChat unionid or phone (through its keyed hash)."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher, clock: Clock) -> None:
        self._conn = connection
        self._cipher = cipher
        self._clock = clock

    async def get(self, customer_id: str) -> Customer | None:
        row = (await self._conn.execute(_BY_ID, {"b_id": customer_id})).first()
        return None if row is None else await self._load(row._mapping)

    async def find_by_identity(self, identity: Identity) -> Customer | None:
        owner = {"b_channel": str(identity.channel), "b_user_id": identity.user_id}
        customer_id = (await self._conn.execute(_OWNER, owner)).scalar()
        if customer_id is None and identity.unionid:
            customer_id = (await self._conn.execute(_BY_UNIONID, {"b_unionid": identity.unionid})).scalar()
        return None if customer_id is None else await self.get(customer_id)

    async def find_by_phone(self, phone: str) -> Customer | None:
        try:
            phone_hash = self._cipher.hash_phone(phone)
        except InvalidInput:
            return None
        row = (await self._conn.execute(_BY_PHONE, {"b_phone_hash": phone_hash})).first()
        return None if row is None else await self._load(row._mapping)

    async def add(self, customer: Customer) -> Customer:
        """Insert `customer` and link its identities; returns it as stored.

        Not read back: the new row holds exactly these values, and each identity is as its
        upsert returned it; times are in UTC and identities in order, as a read gives them.
        """
        if customer.created_at is None:
            customer.created_at = self._clock.now()
        values = {"id": customer.id, "created_at": customer.created_at, **self._personal_values(customer)}
        await self._conn.execute(_INSERT, values)
        linked = [await self._link(customer.id, identity) for identity in customer.identities]
        return replace(
            customer,
            identities=sorted(linked, key=lambda i: (str(i.channel), i.user_id)),
            tier=Tier(customer.tier),
            satisfaction=None if customer.satisfaction is None else float(customer.satisfaction),
            reachable=bool(customer.reachable),
            created_at=as_utc(customer.created_at),
            first_service_at=as_utc(customer.first_service_at) if customer.first_service_at else None,
        )

    async def update(self, customer: Customer) -> None:
        values = {"b_id": customer.id, **self._personal_values(customer)}
        if (await self._conn.execute(_UPDATE, values)).rowcount == 0:
            raise NotFound(f"customer {customer.id} does not exist", customer_id=customer.id)

    async def link_identity(self, customer_id: str, identity: Identity) -> None:
        await self._link(customer_id, identity)

    async def _link(self, customer_id: str, identity: Identity) -> Identity:
        """Link `identity` to the customer; returns it as stored (a conflict keeps some fields)."""
        values = {
            "channel": str(identity.channel),
            "user_id": identity.user_id,
            "unionid": identity.unionid,
            "display_name_enc": self._cipher.encrypt_optional(identity.display_name),
            "customer_id": customer_id,
        }
        statement = _LINKS[identity.unionid is not None, identity.display_name is not None]
        row = (await self._conn.execute(statement.for_(self._conn), values)).one()
        return self._identity(row)

    async def merge(self, source_id: str, target_id: str) -> None:
        """Move everything of `source_id` to `target_id`, fill the target's empty personal
        fields from the source, add up order counts, then delete the source."""
        if source_id == target_id:
            return
        source, target = await self.get(source_id), await self.get(target_id)
        if source is None or target is None:
            raise NotFound("both customers of a merge must exist", source=source_id, target=target_id)
        for table in (identities, complaints, messages):
            await self._conn.execute(
                update(table).where(table.c.customer_id == source_id).values(customer_id=target_id)
            )
        target.name = target.name or source.name
        target.phone = target.phone or source.phone
        target.address = target.address or source.address
        target.title = target.title or source.title
        target.order_count += source.order_count
        if target.tier is not Tier.VIP and source.tier is Tier.VIP:
            target.tier = Tier.VIP
        await self.update(target)
        await self._conn.execute(delete(customers).where(customers.c.id == source_id))

    def _personal_values(self, customer: Customer) -> dict[str, Any]:
        phone_hash = None
        if customer.phone:
            try:
                phone_hash = self._cipher.hash_phone(customer.phone)
            except InvalidInput:
                phone_hash = None
        return {
            "name_enc": self._cipher.encrypt_optional(customer.name),
            "phone_enc": self._cipher.encrypt_optional(customer.phone),
            "phone_hash": phone_hash,
            "address_enc": self._cipher.encrypt_optional(customer.address),
            "title": customer.title,
            "tier": str(customer.tier),
            "order_count": customer.order_count,
            "satisfaction": customer.satisfaction,
            "reachable": customer.reachable,
            "first_service_at": customer.first_service_at,
        }

    async def _load(self, row: Any) -> Customer:
        linked = [self._identity(r) for r in await self._conn.execute(_IDENTITIES, {"b_customer_id": row["id"]})]
        return Customer(
            id=row["id"],
            name=self._cipher.decrypt_optional(row["name_enc"]),
            phone=self._cipher.decrypt_optional(row["phone_enc"]),
            address=self._cipher.decrypt_optional(row["address_enc"]),
            tier=Tier(row["tier"]),
            identities=linked,
            order_count=row["order_count"],
            satisfaction=row["satisfaction"],
            reachable=bool(row["reachable"]),
            title=row["title"],
            created_at=row["created_at"],
            first_service_at=row["first_service_at"],
        )

    def _identity(self, row: Any) -> Identity:
        return Identity(
            channel=ChannelName(row.channel),
            user_id=row.user_id,
            display_name=self._cipher.decrypt_optional(row.display_name_enc),
            unionid=row.unionid,
        )
