/* qs-hub-cache.c: offline lookup in the Hugging Face hub cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include <glib/gstdio.h>

#include "qs-error.h"
#include "qs-model.h"

#define REPO_ID_MAX_LENGTH 96

/* Expands a leading "~" the way huggingface_hub's os.path.expanduser() does
 * for its environment variables and cache_dir argument. */
static char *
expand_home (const char *path)
{
  if (path[0] == '~' && (path[1] == '\0' || path[1] == G_DIR_SEPARATOR))
    return g_build_filename (g_get_home_dir (), path + 1, NULL);

  return g_strdup (path);
}

static void
add_root (GPtrArray  *roots,
          const char *path)
{
  g_autofree char *expanded = NULL;
  char *canonical;

  if (path == NULL || path[0] == '\0')
    return;

  expanded = expand_home (path);
  canonical = g_canonicalize_filename (expanded, NULL);

  for (guint i = 0; i < roots->len; i++)
    {
      if (strcmp (g_ptr_array_index (roots, i), canonical) == 0)
        {
          g_free (canonical);
          return;
        }
    }

  g_ptr_array_add (roots, canonical);
}

GStrv
qs_hub_cache_get_roots (const char *cache_dir)
{
  g_autoptr(GPtrArray) roots = g_ptr_array_new_with_free_func (g_free);
  const char *hf_home = g_getenv ("HF_HOME");
  const char *xdg_cache = g_getenv ("XDG_CACHE_HOME");
  g_autofree char *home_hub = NULL;
  g_autofree char *default_hub = NULL;

  add_root (roots, cache_dir);
  add_root (roots, g_getenv ("HF_HUB_CACHE"));

  /* huggingface_hub derives HF_HOME from XDG_CACHE_HOME when HF_HOME is
   * unset, so both spellings of the default home are searched. */
  if (hf_home != NULL && hf_home[0] != '\0')
    home_hub = g_build_filename (hf_home, "hub", NULL);
  else if (xdg_cache != NULL && xdg_cache[0] != '\0')
    home_hub = g_build_filename (xdg_cache, "huggingface", "hub", NULL);
  add_root (roots, home_hub);

  default_hub = g_build_filename (g_get_home_dir (), ".cache", "huggingface", "hub", NULL);
  add_root (roots, default_hub);

  g_ptr_array_add (roots, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&roots), FALSE);
}

static gboolean
is_repo_name_part (const char *part,
                   gsize       length)
{
  if (length == 0)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isalnum (part[i]) && part[i] != '-' && part[i] != '_' && part[i] != '.')
        return FALSE;
    }

  /* huggingface_hub's validate_repo_id() rejects names that start or end
   * with "-" or ".", so such a string is a path, never an id. */
  return part[0] != '-' && part[0] != '.' && part[length - 1] != '-' && part[length - 1] != '.';
}

gboolean
qs_hub_cache_is_repo_id (const char *str)
{
  const char *slash;

  g_return_val_if_fail (str != NULL, FALSE);

  slash = strchr (str, '/');
  if (slash == NULL || strchr (slash + 1, '/') != NULL)
    return FALSE;
  if (strlen (str) > REPO_ID_MAX_LENGTH)
    return FALSE;
  if (strstr (str, "--") != NULL || strstr (str, "..") != NULL)
    return FALSE;

  return is_repo_name_part (str, slash - str) &&
         is_repo_name_part (slash + 1, strlen (slash + 1));
}

/* Reads refs/main and checks that it names a commit and not a path. */
static char *
read_main_ref (const char *repo_dir)
{
  g_autofree char *ref_path = g_build_filename (repo_dir, "refs", "main", NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (ref_path, &contents, NULL, NULL))
    return NULL;

  g_strstrip (contents);
  if (contents[0] == '\0')
    return NULL;

  for (const char *p = contents; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p))
        return NULL;
    }

  return g_steal_pointer (&contents);
}

static char *
repo_folder_name (const char *repo_id)
{
  g_auto(GStrv) parts = g_strsplit (repo_id, "/", -1);
  g_autofree char *joined = g_strjoinv ("--", parts);

  return g_strconcat ("models--", joined, NULL);
}

char *
qs_hub_cache_resolve (const char  *repo_id,
                      const char  *cache_dir,
                      char       **revision,
                      GError     **error)
{
  g_auto(GStrv) roots = NULL;
  g_autofree char *folder_name = NULL;
  g_autoptr(GString) searched = NULL;

  g_return_val_if_fail (repo_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!qs_hub_cache_is_repo_id (repo_id))
    {
      g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
                   _("“%s” is not a Hugging Face model id of the form “org/name”"),
                   repo_id);
      return NULL;
    }

  roots = qs_hub_cache_get_roots (cache_dir);
  folder_name = repo_folder_name (repo_id);
  searched = g_string_new (NULL);

  for (guint i = 0; roots[i] != NULL; i++)
    {
      g_autofree char *repo_dir = g_build_filename (roots[i], folder_name, NULL);
      g_autofree char *commit = NULL;
      g_autofree char *snapshot = NULL;

      g_string_append_printf (searched, "\n  %s", roots[i]);

      if (!g_file_test (repo_dir, G_FILE_TEST_IS_DIR))
        {
          g_string_append_printf (searched, " (no %s)", folder_name);
          continue;
        }

      commit = read_main_ref (repo_dir);
      if (commit == NULL)
        {
          g_string_append_printf (searched, " (%s has no valid refs/main)", folder_name);
          continue;
        }

      snapshot = g_build_filename (repo_dir, "snapshots", commit, NULL);
      if (!g_file_test (snapshot, G_FILE_TEST_IS_DIR))
        {
          g_string_append_printf (searched, " (refs/main names snapshot %s, which is missing)",
                                  commit);
          continue;
        }

      if (revision != NULL)
        *revision = g_steal_pointer (&commit);
      return g_steal_pointer (&snapshot);
    }

  g_set_error (error, QS_MODEL_ERROR, QS_MODEL_ERROR_NOT_FOUND,
               _("Hugging Face model “%s” is not a file or folder and was not found "
                 "in the hub cache. Folders searched:%s\nDownload it with "
                 "“huggingface-cli download %s”, pass --cache-dir, or give a path."),
               repo_id, searched->str, repo_id);
  return NULL;
}

void
qs_hub_cache_entry_free (QsHubCacheEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->id);
  g_free (entry->snapshot);
  g_free (entry);
}

/* Sums the sizes of the regular files under @folder. Links to files are
 * followed, since snapshots link into blobs/, but links to folders are not,
 * so a link cycle cannot recurse forever. */
static guint64
folder_size (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint64 total = 0;

  if (dir == NULL)
    return 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      GStatBuf link_info;
      GStatBuf info;

      if (g_lstat (path, &link_info) != 0 || g_stat (path, &info) != 0)
        continue;

      if (S_ISDIR (info.st_mode) && !S_ISLNK (link_info.st_mode))
        total += folder_size (path);
      else if (S_ISREG (info.st_mode))
        total += (guint64) info.st_size;
    }

  return total;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const QsHubCacheEntry *ea = *(const QsHubCacheEntry * const *) a;
  const QsHubCacheEntry *eb = *(const QsHubCacheEntry * const *) b;

  return strcmp (ea->id, eb->id);
}

static void
list_root (const char *root,
           GHashTable *seen,
           GPtrArray  *entries)
{
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *repo_dir = NULL;
      g_autofree char *commit = NULL;
      g_autofree char *snapshot = NULL;
      g_auto(GStrv) parts = NULL;
      g_autofree char *id = NULL;
      QsHubCacheEntry *entry;

      if (!g_str_has_prefix (name, "models--") || name[strlen ("models--")] == '\0')
        continue;

      /* huggingface_hub turns "models--org--name" back into "org/name" by
       * replacing every "--" after the type prefix with "/". */
      parts = g_strsplit (name + strlen ("models--"), "--", -1);
      id = g_strjoinv ("/", parts);
      if (g_hash_table_contains (seen, id))
        continue;

      repo_dir = g_build_filename (root, name, NULL);
      commit = read_main_ref (repo_dir);
      if (commit == NULL)
        continue;

      snapshot = g_build_filename (repo_dir, "snapshots", commit, NULL);
      if (!g_file_test (snapshot, G_FILE_TEST_IS_DIR))
        continue;

      entry = g_new0 (QsHubCacheEntry, 1);
      entry->id = g_strdup (id);
      entry->snapshot = g_steal_pointer (&snapshot);
      entry->size = folder_size (entry->snapshot);
      g_ptr_array_add (entries, entry);
      g_hash_table_add (seen, g_steal_pointer (&id));
    }
}

GPtrArray *
qs_hub_cache_list_models (const char *cache_dir)
{
  g_auto(GStrv) roots = qs_hub_cache_get_roots (cache_dir);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *entries;

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) qs_hub_cache_entry_free);

  for (guint i = 0; roots[i] != NULL; i++)
    list_root (roots[i], seen, entries);

  g_ptr_array_sort (entries, compare_entries);

  return entries;
}
