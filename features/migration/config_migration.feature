@component:migration
Feature: Configuration migration
  Old (upstream v1/v2) configurations convert to the current one; nothing is dropped silently.

  Scenario: An unknown key in an old configuration is reported
    When I migrate the old configuration:
      """
      storage_base_path: /srv/chat
      vector_search_top_k: 5
      colour_scheme: dark
      """
    Then the configuration report names the unknown key "colour_scheme"
    And the old key "storage_base_path" is renamed to "storage.base_path"
    And the result at "config.storage.base_path" equals /srv/chat
