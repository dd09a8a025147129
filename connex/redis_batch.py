"""Redis commands for the switch's hot path: several in one round trip, without redis-py's
per-command bookkeeping.

A redis-py pipeline costs about a hundred Python calls before its first command (retries,
observability, script checks) and twenty-five more per command: on an authorize that was a third
of the panel's own work. `batch` does what a non-transactional pipeline does on the wire — take a
connection from the client's pool (checked and reconnected there as for any command), send every
command, read every reply, give the connection back — and nothing else.

Replies are the raw ones (no response callbacks: SET answers "OK", not True). An error reply is
raised after every reply was read, so the connection stays in step. A connection that fails
mid-way is dropped; nothing is retried, since the commands may have run (callers fail closed).
"""

import redis


def batch(client: redis.Redis, *commands: tuple) -> list:
    """Runs the commands (each a tuple such as ("GET", key)) in one round trip; their replies."""
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        replies = []
        for _ in commands:
            try:
                replies.append(connection.read_response())
            except redis.ResponseError as error:
                replies.append(error)
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)
    for reply in replies:
        if isinstance(reply, redis.ResponseError):
            raise reply
    return replies
