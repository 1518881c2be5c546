@component:migration
Feature: Data migration
  Old stores (G0-G3) migrate to the current format, read back completely, and roll back to
  the very same bytes. Each scenario works on an old store in legacy/old under its own store
  root.

  @data_integrity
  Scenario Outline: An old <generation> store migrates and reads back completely
    Given an old "<generation>" store with 2 users
    When I migrate it to the current format in batches of 5
    Then the store is in the "current" format
    And every session reads back with its messages

    Examples:
      | generation |
      | G0         |
      | G1         |
      | G2         |
      | G3         |

  @data_integrity
  Scenario: The current store refuses an unmigrated G0 store
    Given an old "G0" store with 1 user
    When I try to read it with the current store
    Then the current store refuses it with OldStoreFormat

  @rollback
  Scenario: A rollback gives back the old store byte for byte
    Given an old "G1" store with 2 users
    When I migrate it to the current format
    And I roll the migration back
    Then the store is byte-identical to before
    And the store is in the "G1" format

  @rollback
  Scenario: Disaster recovery: the store is lost and the backup restores it
    Given an old "G0" store with 2 users
    When I migrate it to the current format without keeping the original
    And the store folder is lost
    And I roll the migration back
    Then the store is byte-identical to before

  @data_integrity
  Scenario: A second migration does nothing
    Given an old "G2" store with 2 users
    When I migrate it to the current format
    And I note the bytes of the store
    And I migrate it again
    Then nothing was migrated
    And the store is byte-identical to before

  @data_integrity
  Scenario: A dry run writes nothing
    Given an old "G0" store with 2 users
    When I plan the migration
    Then the plan lists 4 steps and wrote nothing

  @data_integrity
  Scenario: Malformed lines are quarantined with their file and line
    Given the "jsonl" invariant is off because the store is generated with malformed lines and the backup keeps them byte for byte
    And an old "G1" store with 2 users and 3 malformed lines
    When I migrate it to the current format
    Then the malformed lines are quarantined with their file and line
    And every session reads back with its messages

  @data_integrity @rollback
  Scenario: Down the stairway and up again
    Given an old "G0" store with 2 users
    When I migrate it to "G2"
    And I note the bytes of the store
    And I migrate it up to "current"
    And I migrate it down to "G2"
    Then the store is byte-identical to before
    And the store is in the "G2" format
    When I migrate it up to "current"
    Then every session reads back with its messages

  @data_integrity @rollback
  Scenario: The migration validator runs a real migration
    Given an old "G3" store with 2 users
    When I run the migration validator in batches of 3
    Then the migration validator reports success
