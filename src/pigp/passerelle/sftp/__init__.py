"""The gateway's SFTP channel: an asyncssh server over a virtual tree (``/depot``, ``/retour``).

Nothing of the real filesystem is exposed: every path is resolved against the principal's
collectivités through `pigp.passerelle.access`, uploads go through `intake.receive` and
downloads come from the mailbox. Django is only called from a thread pool, never from the
event loop (`server.SftpService.run_db`).
"""
