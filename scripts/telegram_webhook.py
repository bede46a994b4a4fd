"""Connects the Telegram bot: registers the webhook, or polls Telegram for local use.

    python scripts/telegram_webhook.py set      # setWebhook(TELEGRAM_WEBHOOK_URL, secret, allowed updates)
    python scripts/telegram_webhook.py delete   # deleteWebhook (needed before polling)
    python scripts/telegram_webhook.py poll     # getUpdates loop -> the local server's webhook route

Polling posts every update, with the secret header, to the local Rasa server's own webhook route
(``--local``, default ``http://localhost:5005/webhooks/telegram/webhook``): the updates take the
same path as in production (authentication, retries, commands, rendering), and the server needs no
polling mode of its own. Telegram refuses getUpdates while a webhook is set: ``poll
--delete-webhook`` removes it first. Values come from the environment (``.env.example``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence

import aiohttp

from pobyt.channels.telegram import ALLOWED_UPDATES, SECRET_HEADER, TelegramConfig
from pobyt.channels.telegram_api import BotApi, BotApiError

logger = logging.getLogger("telegram_webhook")
WEBHOOK_PATH = "/webhooks/telegram/webhook"
#: Seconds Telegram holds a getUpdates request open when there is nothing new.
POLL_WAIT_S = 25
#: Seconds to wait before asking again after a failure (Telegram or the local server down).
RETRY_S = 5.0


def config_from_env(environ: Mapping[str, str]) -> TelegramConfig:
    """Returns the configuration from the environment; exits with a message when it is unusable."""
    config = TelegramConfig.load({}, environ)
    problem = config.problem()
    if problem:
        raise SystemExit(f"telegram: {problem} (see .env.example)")
    return config


async def set_webhook(api: BotApi, config: TelegramConfig, drop_pending: bool = False) -> str:
    """Registers ``config.webhook_url`` with the secret; returns Telegram's confirmation.

    Raises:
        SystemExit: when the URL is missing or not HTTPS, or Telegram refuses.
    """
    url = config.webhook_url
    if not url.startswith("https://"):
        raise SystemExit("telegram: TELEGRAM_WEBHOOK_URL must be the public https:// URL of " + WEBHOOK_PATH)
    params = {
        "url": url,
        "secret_token": config.webhook_secret,
        "allowed_updates": list(ALLOWED_UPDATES),
        "drop_pending_updates": drop_pending,
    }
    try:
        await api.request("setWebhook", params)
        info = await api.request("getWebhookInfo", {})
    except BotApiError as error:
        raise SystemExit(f"telegram: {error}") from error
    return f"webhook set: {info.get('url')} (pending updates: {info.get('pending_update_count', 0)})"


async def delete_webhook(api: BotApi) -> str:
    """Removes the webhook (polling needs that)."""
    try:
        await api.request("deleteWebhook", {})
    except BotApiError as error:
        raise SystemExit(f"telegram: {error}") from error
    return "webhook deleted"


async def forward(session: aiohttp.ClientSession, local_url: str, secret: str, update: Dict[str, Any]) -> bool:
    """Posts one update to the local webhook route; returns False when it should be retried.

    Raises:
        SystemExit: when the local server refuses the secret (403) or has Telegram disabled (503).
    """
    try:
        async with session.post(
            local_url, json=update, headers={SECRET_HEADER: secret}, timeout=aiohttp.ClientTimeout(total=120)
        ) as answer:
            if answer.status in (403, 503):
                raise SystemExit(
                    f"telegram: the local server answered {answer.status}: start it with the same "
                    "TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET"
                )
            return answer.status < 500
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        logger.warning("local server unreachable (%s); retrying", type(error).__name__)
        return False


async def poll(
    api: BotApi, config: TelegramConfig, local_url: str, max_rounds: Optional[int] = None, wait_s: int = POLL_WAIT_S
) -> int:
    """Fetches updates with getUpdates and forwards them in order; returns how many were forwarded.

    Args:
        api: the Bot API client.
        config: the configuration (its secret authenticates the forwarded updates).
        local_url: the local server's webhook route.
        max_rounds: stop after this many getUpdates calls (None: run until interrupted).
        wait_s: long-polling wait per getUpdates call.
    """
    offset: Optional[int] = None
    forwarded = 0
    rounds = 0
    async with aiohttp.ClientSession() as session:
        while max_rounds is None or rounds < max_rounds:
            rounds += 1
            params: Dict[str, Any] = {"timeout": wait_s, "allowed_updates": list(ALLOWED_UPDATES)}
            if offset is not None:
                params["offset"] = offset
            try:
                updates: List[Dict[str, Any]] = await api.request("getUpdates", params, timeout_s=wait_s + 10)
            except BotApiError as error:
                if error.error_code == 409:
                    raise SystemExit("telegram: a webhook is set; run `poll --delete-webhook`") from error
                logger.warning("getUpdates failed: %s; retrying", error.description)
                await asyncio.sleep(RETRY_S)  # back off before asking Telegram again
                continue
            for update in updates:
                if not await forward(session, local_url, config.webhook_secret, update):
                    await asyncio.sleep(RETRY_S)  # the local server is down: ask again from this update
                    break
                # Confirmed to Telegram by the next getUpdates' offset.
                offset = update["update_id"] + 1
                forwarded += 1
    return forwarded


async def main(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """Runs the command in ``argv`` and returns what to print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["set", "delete", "poll"], nargs="?", default="set")
    parser.add_argument("--drop-pending", action="store_true", help="set: drop updates Telegram still holds")
    parser.add_argument("--delete-webhook", action="store_true", help="poll: delete the webhook first")
    parser.add_argument("--local", default=f"http://localhost:{environ.get('RASA_PORT', '5005')}{WEBHOOK_PATH}")
    args = parser.parse_args(argv)
    config = config_from_env(environ)
    api = BotApi(config.token, config.api_url)
    try:
        if args.command == "set":
            return await set_webhook(api, config, args.drop_pending)
        if args.command == "delete":
            return await delete_webhook(api)
        if args.delete_webhook:
            await delete_webhook(api)
        print(f"polling Telegram, forwarding updates to {args.local} (Ctrl-C stops)", flush=True)
        return f"forwarded {await poll(api, config, args.local)} updates"
    finally:
        await api.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        print(asyncio.run(main(sys.argv[1:], os.environ)))
