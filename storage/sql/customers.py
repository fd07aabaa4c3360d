"""`CustomerDirectory` on SQL: customers and their channel identities, personal data encrypted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import InvalidInput, NotFound
from intake.ports import Clock
from intake.records import ChannelName, Customer, Identity, Tier
from storage.crypto import FieldCipher
from storage.sql.dialect import upsert
from storage.sql.schema import complaints, customers, identities, messages


class SqlCustomerDirectory:
    """Customers by id, channel identity, WeChat unionid or phone (through its keyed hash)."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher, clock: Clock) -> None:
        self._conn = connection
        self._cipher = cipher
        self._clock = clock

    async def get(self, customer_id: str) -> Customer | None:
        row = (await self._conn.execute(select(customers).where(customers.c.id == customer_id))).first()
        return None if row is None else await self._load(row._mapping)

    async def find_by_identity(self, identity: Identity) -> Customer | None:
        owner = select(identities.c.customer_id).where(
            identities.c.channel == str(identity.channel), identities.c.user_id == identity.user_id
        )
        customer_id = (await self._conn.execute(owner)).scalar()
        if customer_id is None and identity.unionid:
            by_union = select(identities.c.customer_id).where(identities.c.unionid == identity.unionid).limit(1)
            customer_id = (await self._conn.execute(by_union)).scalar()
        return None if customer_id is None else await self.get(customer_id)

    async def find_by_phone(self, phone: str) -> Customer | None:
        try:
            phone_hash = self._cipher.hash_phone(phone)
        except InvalidInput:
            return None
        query = (
            select(customers)
            .where(customers.c.phone_hash == phone_hash)
            .order_by(customers.c.created_at, customers.c.id)
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else await self._load(row._mapping)

    async def add(self, customer: Customer) -> Customer:
        if customer.created_at is None:
            customer.created_at = self._clock.now()
        values = {"id": customer.id, "created_at": customer.created_at, **self._personal_values(customer)}
        await self._conn.execute(customers.insert().values(**values))
        for identity in customer.identities:
            await self.link_identity(customer.id, identity)
        stored = await self.get(customer.id)
        assert stored is not None
        return stored

    async def update(self, customer: Customer) -> None:
        statement = update(customers).where(customers.c.id == customer.id).values(**self._personal_values(customer))
        if (await self._conn.execute(statement)).rowcount == 0:
            raise NotFound(f"customer {customer.id} does not exist", customer_id=customer.id)

    async def link_identity(self, customer_id: str, identity: Identity) -> None:
        values = {
            "channel": str(identity.channel),
            "user_id": identity.user_id,
            "unionid": identity.unionid,
            "display_name_enc": self._cipher.encrypt_optional(identity.display_name),
            "customer_id": customer_id,
        }
        statement = upsert(self._conn, identities).values(**values)
        changes: dict[str, Any] = {"customer_id": statement.excluded.customer_id}
        if identity.unionid is not None:
            changes["unionid"] = statement.excluded.unionid
        if identity.display_name is not None:
            changes["display_name_enc"] = statement.excluded.display_name_enc
        await self._conn.execute(statement.on_conflict_do_update(index_elements=["channel", "user_id"], set_=changes))

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
        query = (
            select(identities)
            .where(identities.c.customer_id == row["id"])
            .order_by(identities.c.channel, identities.c.user_id)
        )
        linked = [
            Identity(
                channel=ChannelName(r.channel),
                user_id=r.user_id,
                display_name=self._cipher.decrypt_optional(r.display_name_enc),
                unionid=r.unionid,
            )
            for r in (await self._conn.execute(query))
        ]
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
