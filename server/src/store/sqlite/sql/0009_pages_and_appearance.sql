-- The page a visitor is on (POST /api/v1/widget/page), shown to agents: the latest one, and the
-- one the conversation started on (kept once the conversation has a message).
ALTER TABLE conversations ADD COLUMN page_url TEXT;
ALTER TABLE conversations ADD COLUMN page_title TEXT;
ALTER TABLE conversations ADD COLUMN page_at INTEGER;
ALTER TABLE conversations ADD COLUMN start_page_url TEXT;

-- The widget's appearance per workspace (dashboard Settings > Widget, workspace set-appearance).
ALTER TABLE workspaces ADD COLUMN widget_color TEXT NOT NULL DEFAULT '#4f46e5';
ALTER TABLE workspaces ADD COLUMN widget_position TEXT NOT NULL DEFAULT 'right'
    CHECK (widget_position IN ('left', 'right'));
ALTER TABLE workspaces ADD COLUMN widget_offset_x INTEGER NOT NULL DEFAULT 20;
ALTER TABLE workspaces ADD COLUMN widget_offset_y INTEGER NOT NULL DEFAULT 20;
ALTER TABLE workspaces ADD COLUMN widget_z_index INTEGER NOT NULL DEFAULT 2147483000;
ALTER TABLE workspaces ADD COLUMN widget_title TEXT;
ALTER TABLE workspaces ADD COLUMN widget_subtitle TEXT;
ALTER TABLE workspaces ADD COLUMN widget_launcher_label TEXT;
ALTER TABLE workspaces ADD COLUMN widget_locale TEXT NOT NULL DEFAULT 'auto'
    CHECK (widget_locale IN ('auto', 'en', 'de', 'fr', 'es'));
