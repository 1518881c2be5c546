@component:migration
Feature: Migration refusals name the setting or the file at fault
  The migration tool's refusals carry the key and value, or the path, they are about: a
  generator asked for an impossible store names the setting, and a rollback that finds a
  backup file changed names that file. Old-format data comes from the project's own
  generators.

  Scenario Outline: A generator asked for an impossible store names the setting and its value
    When I try to call "migration.generate" with:
      """
      generation: G1
      <setting>: <value>
      """
    Then it fails with ValidationError mentioning "<setting> must be at least <least>, got <value>"
    And the result at "key" equals <setting>
    And the result at "value" equals <value>

    Examples:
      | setting              | value | least |
      | users                | 0     | 1     |
      | sessions_per_user    | 0     | 1     |
      | messages_per_session | -1    | 0     |
      | malformed_lines      | -2    | 0     |

  Scenario: A rollback that finds a backup file changed names the file
    When I call "migration.generate" with:
      """
      generation: G0
      users: 2
      sessions_per_user: 1
      messages_per_session: 2
      seed: 1
      """
    And I call "migration.apply"
    And I call "files.write" with:
      """
      path: legacy/.old.ffmigrate/backup/files/alice/chat_session_20250722_184646/messages.jsonl
      text: "{}\n"
      """
    And I try to call "migration.rollback" with:
      """
      store: old
      """
    Then it fails with BackupInvalid mentioning "but the manifest says"
    And the result at "path" matches /legacy/\.old\.ffmigrate/backup/files/alice/chat_session_20250722_184646/messages\.jsonl$
    When I call "migration.detect"
    Then the result at "generation" equals current
