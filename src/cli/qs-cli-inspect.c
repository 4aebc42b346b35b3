/* qs-cli-inspect.c: `quantscope-cli inspect`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "qs-cli.h"
#include "qs-sdnq-reader.h"

typedef struct
{
  char     **positional;
  char     **components;
  gboolean   no_tensors;
} InspectOptions;

static void
inspect_options_clear (InspectOptions *options)
{
  g_strfreev (options->positional);
  g_strfreev (options->components);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (InspectOptions, inspect_options_clear)

/* A table printed with columns padded to their widest cell. */
typedef struct
{
  guint      n_columns;
  GPtrArray *rows;
} Table;

static Table *
table_new (guint n_columns)
{
  Table *table = g_new0 (Table, 1);

  table->n_columns = n_columns;
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  return table;
}

static void
table_free (Table *table)
{
  g_ptr_array_unref (table->rows);
  g_free (table);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Table, table_free)

/* Adds a row of n_columns strings; the table takes them. */
static void
table_add (Table *table,
           ...)
{
  char **row = g_new0 (char *, table->n_columns + 1);
  va_list args;

  va_start (args, table);
  for (guint i = 0; i < table->n_columns; i++)
    row[i] = va_arg (args, char *);
  va_end (args);

  g_ptr_array_add (table->rows, row);
}

static void
table_print (Table *table,
             guint  indent)
{
  g_autofree glong *widths = g_new0 (glong, table->n_columns);

  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);

      for (guint c = 0; c < table->n_columns; c++)
        widths[c] = MAX (widths[c], g_utf8_strlen (row[c], -1));
    }

  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);
      g_autoptr(GString) line = g_string_new (NULL);

      for (guint i = 0; i < indent; i++)
        g_string_append_c (line, ' ');
      for (guint c = 0; c < table->n_columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < table->n_columns)
            for (glong pad = g_utf8_strlen (row[c], -1); pad < widths[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      while (line->len > 0 && line->str[line->len - 1] == ' ')
        g_string_truncate (line, line->len - 1);
      printf ("%s\n", line->str);
    }
}

static char *
format_group_size (const QsSdnqLayout *layout)
{
  if (layout->group_size == -1)
    return g_strdup ("row-wise");
  if (layout->group_size == -2)
    return g_strdup ("tensor-wise");

  return g_strdup_printf ("%" G_GINT64_FORMAT, layout->group_size);
}

static void
print_tensors (const QsComponent *component)
{
  g_autoptr(Table) table = table_new (4);

  table_add (table, g_strdup ("tensor"), g_strdup ("dtype"), g_strdup ("shape"), g_strdup ("bytes"));
  for (guint t = 0; t < component->tensors->len; t++)
    {
      const QsTensorInfo *tensor = g_ptr_array_index (component->tensors, t);

      table_add (table, g_strdup (tensor->name), g_strdup (qs_tensor_dtype_to_string (tensor->dtype)),
                 qs_sdnq_format_shape (tensor->shape, tensor->ndim),
                 g_strdup_printf ("%" G_GUINT64_FORMAT, tensor->data_end - tensor->data_begin));
    }

  printf (_("  Tensors:\n"));
  table_print (table, 4);
}

/* Prints the SDNQ layers of a component; returns the number of layers whose
 * stored tensors disagree with the config. */
static guint
print_sdnq_layers (QsSdnqReader      *reader,
                   const QsComponent *component)
{
  const QsSdnqConfig *config = qs_sdnq_reader_get_config (reader, component);
  g_autoptr(GPtrArray) layers = qs_sdnq_reader_list_layers (reader, component);
  g_autoptr(Table) table = table_new (7);
  guint n_mismatches = 0;

  printf (ngettext ("  SDNQ config: weights_dtype %s, group_size %lld%s%s%s, "
                    "%u layer stored quantized\n",
                    "  SDNQ config: weights_dtype %s, group_size %lld%s%s%s, "
                    "%u layers stored quantized\n", layers->len),
          config->weights_dtype, (long long) config->group_size,
          config->use_svd ? _(", SVD") : "",
          config->use_quantized_matmul ? _(", quantized matmul") : "",
          config->dequantize_fp32 ? "" : _(", model-dtype scales"),
          layers->len);

  table_add (table, g_strdup ("layer"), g_strdup ("dtype"), g_strdup ("group"),
             g_strdup ("svd"), g_strdup ("qmm"), g_strdup ("original shape"), g_strdup ("check"));

  for (guint i = 0; i < layers->len; i++)
    {
      const QsSdnqLayerInfo *info = g_ptr_array_index (layers, i);
      const QsSdnqLayout *layout = &info->layout;
      g_autofree char *shape = qs_sdnq_format_shape (layout->shape, layout->ndim);

      if (info->mismatch != NULL)
        n_mismatches++;

      table_add (table, g_strdup (info->name),
                 g_strdup (layout->dtype != NULL ? layout->dtype->name : "-"),
                 format_group_size (layout),
                 layout->use_svd ? g_strdup_printf ("%u", layout->svd_effective_rank) : g_strdup ("-"),
                 g_strdup (layout->use_quantized_matmul ? (layout->transposed ? "yes (transposed)"
                                                                             : "yes")
                                                        : "no"),
                 info->shape_known ? g_strdup (shape) : g_strdup_printf ("%s?", shape),
                 g_strdup (info->mismatch != NULL ? "MISMATCH" : "ok"));
    }

  if (layers->len > 0)
    table_print (table, 4);

  for (guint i = 0; i < layers->len; i++)
    {
      const QsSdnqLayerInfo *info = g_ptr_array_index (layers, i);

      if (info->mismatch != NULL)
        printf (_("    MISMATCH: %s\n"), info->mismatch);
    }

  return n_mismatches;
}

static gboolean
component_wanted (const InspectOptions *options,
                  const QsComponent    *component)
{
  if (options->components == NULL)
    return TRUE;

  for (guint i = 0; options->components[i] != NULL; i++)
    {
      if (strcmp (options->components[i], component->name) == 0)
        return TRUE;
    }

  return FALSE;
}

int
qs_cli_inspect (int    argc,
                char **argv)
{
  static const char * const multi[] = { "--components", NULL };
  g_auto(InspectOptions) options = { 0 };
  const GOptionEntry entries[] = {
    { "components", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.components,
      N_("Components to list, one or more subfolders (default: every component with weights)"),
      N_("NAME…") },
    { "no-tensors", 0, 0, G_OPTION_ARG_NONE, &options.no_tensors,
      N_("List only the components and SDNQ layers, not every tensor"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options.positional, NULL,
      N_("PATH") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(QsSdnqReader) reader = NULL;
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) components = NULL;
  QsModel *model;
  guint n_mismatches = 0;

  context = g_option_context_new (N_("PATH - list a model's components, tensors and SDNQ layers"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    N_("Lists each component with weights and its tensors (name, dtype, shape, bytes). For an\n"
       "SDNQ-quantized component it also lists every quantized layer with the dtype, group size,\n"
       "SVD rank and quantized-matmul state that SDNQ derives from the saved config, and checks\n"
       "the stored tensors' dtypes and shapes against that derivation. SDNQ does not store a\n"
       "layer's original shape; it is recovered from the stored shapes, and marked with \"?\"\n"
       "when no shape reproduces them.\n"
       "\n"
       "Exit status: 0 when every SDNQ layer agrees with its config, 1 when one does not or the\n"
       "model cannot be read, 2 for invalid usage."));

  args = qs_cli_expand_multi_values (&argc, argv, multi);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      fprintf (stderr, _("quantscope-cli inspect: %s\n"
                 "Run “quantscope-cli inspect --help” for the options.\n"), error->message);
      return QS_CLI_EXIT_USAGE;
    }

  if (options.positional == NULL || options.positional[0] == NULL || options.positional[1] != NULL)
    {
      fprintf (stderr, _("quantscope-cli inspect: give one model path, e.g. "
                 "“quantscope-cli inspect path/to/model”\n"));
      return QS_CLI_EXIT_USAGE;
    }

  if (options.components != NULL)
    {
      components = qs_cli_split_list (options.components);
      g_strfreev (options.components);
      options.components = g_steal_pointer (&components);
    }

  reader = qs_sdnq_reader_open (options.positional[0], &error);
  if (reader == NULL)
    {
      fprintf (stderr, "quantscope-cli inspect: %s\n", error->message);
      return QS_CLI_EXIT_FAILURE;
    }

  model = qs_sdnq_reader_get_model (reader);
  printf (_("Model: %s%s%s\n"), qs_model_get_path (model),
          qs_model_get_pipeline_class (model) != NULL ? ", pipeline " : "",
          qs_model_get_pipeline_class (model) != NULL ? qs_model_get_pipeline_class (model) : "");

  for (guint c = 0; c < qs_model_get_n_components (model); c++)
    {
      const QsComponent *component = qs_model_get_component (model, c);
      const QsSdnqConfig *config = qs_sdnq_reader_get_config (reader, component);
      g_autofree char *size = g_format_size (component->total_bytes);

      if (!component_wanted (&options, component))
        continue;

      printf (_("\nComponent %s%s%s%s: %u file%s, %u tensors, %s, %s\n"),
              component->name[0] != '\0' ? component->name : "(model)",
              component->class_name != NULL ? " (" : "",
              component->class_name != NULL ? component->class_name : "",
              component->class_name != NULL ? ")" : "",
              component->files->len, component->files->len == 1 ? "" : "s",
              component->tensors->len, size,
              config != NULL ? "SDNQ-quantized" : "not quantized");

      if (!options.no_tensors)
        print_tensors (component);
      if (config != NULL)
        n_mismatches += print_sdnq_layers (reader, component);
    }

  if (n_mismatches > 0)
    {
      printf (_("\n%u layer%s disagree%s with the SDNQ layout derived from the config\n"),
              n_mismatches, n_mismatches == 1 ? "" : "s", n_mismatches == 1 ? "s" : "");
      return QS_CLI_EXIT_FAILURE;
    }

  return 0;
}
