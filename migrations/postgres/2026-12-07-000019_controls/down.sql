DROP TABLE observed_daily_aqi;
DROP TABLE control_check_ins;
DROP TABLE control_prompt_acks;
DROP TABLE control_prompts;
DROP TABLE control_level_changes;
DROP TABLE control_cells;
DROP TABLE control_activations;
DROP TABLE control_measures;
DELETE FROM revisions WHERE topic = 'controls';
