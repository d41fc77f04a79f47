-- The refresh claim reads each way a token comes due through an index in that order, so a sweep
-- with nothing due reads no rows (it read every connection: 20 ms of PostgreSQL for 100,000).

-- CreateIndex
CREATE INDEX "connections_refresh_scheduled_idx" ON "connections"("next_refresh_at") WHERE status = 'active' AND token_ciphertext IS NOT NULL;

-- CreateIndex
CREATE INDEX "connections_refresh_window_idx" ON "connections"("expires_at") WHERE status = 'active' AND token_ciphertext IS NOT NULL AND refresh_attempts = 0 AND token_kind = 'long_lived';
