INSERT OR REPLACE INTO alerts.silences VALUES (
    $silence_id, $matchers, $starts_at, $ends_at, $author, $comment, $created_at, $expired_at
);
