"""A lease in Redis: one node at a time does a job (housekeeping sweeps).

The holder renews it each time it does the job; if it dies, the lease runs out and
another node takes it within `ttl` seconds.
"""

from __future__ import annotations

from redis.asyncio import Redis

_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


class Lease:
    def __init__(self, redis: Redis, key: str, holder: str, ttl: float) -> None:
        self.key = key
        self.holder = holder
        self.ttl_ms = max(1, int(ttl * 1000))
        self._hold = redis.register_script(_HOLD)

    async def hold(self) -> bool:
        """Take or keep the lease; False while another node holds it."""
        return bool(await self._hold(keys=[self.key], args=[self.holder, self.ttl_ms]))
